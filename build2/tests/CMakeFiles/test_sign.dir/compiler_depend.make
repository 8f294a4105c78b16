# Empty compiler generated dependencies file for test_sign.
# This may be replaced when dependencies are built.

# Empty compiler generated dependencies file for test_reg.
# This may be replaced when dependencies are built.

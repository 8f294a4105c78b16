# Empty compiler generated dependencies file for test_virtual.
# This may be replaced when dependencies are built.

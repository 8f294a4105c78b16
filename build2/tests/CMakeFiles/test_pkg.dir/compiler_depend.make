# Empty compiler generated dependencies file for test_pkg.
# This may be replaced when dependencies are built.

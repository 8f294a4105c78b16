# Empty dependencies file for test_solve.
# This may be replaced when dependencies are built.

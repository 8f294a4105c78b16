# Empty compiler generated dependencies file for test_solve_explain.
# This may be replaced when dependencies are built.

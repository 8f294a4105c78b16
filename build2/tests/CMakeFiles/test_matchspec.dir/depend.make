# Empty dependencies file for test_matchspec.
# This may be replaced when dependencies are built.

# Empty dependencies file for test_basecheck.
# This may be replaced when dependencies are built.

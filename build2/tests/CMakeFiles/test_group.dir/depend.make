# Empty dependencies file for test_group.
# This may be replaced when dependencies are built.

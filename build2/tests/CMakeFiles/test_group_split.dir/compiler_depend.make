# Empty compiler generated dependencies file for test_group_split.
# This may be replaced when dependencies are built.

# Empty compiler generated dependencies file for test_fetch.
# This may be replaced when dependencies are built.

# Empty compiler generated dependencies file for test_repodata.
# This may be replaced when dependencies are built.

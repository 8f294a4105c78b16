# Empty compiler generated dependencies file for test_lcache.
# This may be replaced when dependencies are built.

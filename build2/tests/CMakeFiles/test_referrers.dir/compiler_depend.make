# Empty compiler generated dependencies file for test_referrers.
# This may be replaced when dependencies are built.

# Empty dependencies file for test_basefs.
# This may be replaced when dependencies are built.

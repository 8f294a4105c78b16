# Empty dependencies file for test_elfscan.
# This may be replaced when dependencies are built.

# Empty dependencies file for test_ref.
# This may be replaced when dependencies are built.

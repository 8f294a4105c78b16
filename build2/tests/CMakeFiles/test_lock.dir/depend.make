# Empty dependencies file for test_lock.
# This may be replaced when dependencies are built.

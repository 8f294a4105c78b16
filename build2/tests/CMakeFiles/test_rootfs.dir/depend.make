# Empty dependencies file for test_rootfs.
# This may be replaced when dependencies are built.

# Empty dependencies file for imgbuild_common.
# This may be replaced when dependencies are built.

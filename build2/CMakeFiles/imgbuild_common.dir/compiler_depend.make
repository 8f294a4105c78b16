# Empty compiler generated dependencies file for imgbuild_common.
# This may be replaced when dependencies are built.

# Empty compiler generated dependencies file for imgbuild_testutil.
# This may be replaced when dependencies are built.

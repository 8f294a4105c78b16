# Empty compiler generated dependencies file for imgbuild_pkg.
# This may be replaced when dependencies are built.

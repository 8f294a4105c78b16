# Empty compiler generated dependencies file for imgbuild_pypi.
# This may be replaced when dependencies are built.

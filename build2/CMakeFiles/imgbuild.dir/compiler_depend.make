# Empty compiler generated dependencies file for imgbuild.
# This may be replaced when dependencies are built.

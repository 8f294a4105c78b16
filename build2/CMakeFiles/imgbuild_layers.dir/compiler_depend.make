# Empty compiler generated dependencies file for imgbuild_layers.
# This may be replaced when dependencies are built.

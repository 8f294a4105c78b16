# Empty dependencies file for imgbuild_builder.
# This may be replaced when dependencies are built.

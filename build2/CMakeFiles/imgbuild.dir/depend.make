# Empty dependencies file for imgbuild.
# This may be replaced when dependencies are built.

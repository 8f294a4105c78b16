# Empty dependencies file for imgbuild_conda.
# This may be replaced when dependencies are built.

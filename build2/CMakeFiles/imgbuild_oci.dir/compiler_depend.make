# Empty compiler generated dependencies file for imgbuild_oci.
# This may be replaced when dependencies are built.

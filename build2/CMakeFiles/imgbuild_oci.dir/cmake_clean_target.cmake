file(REMOVE_RECURSE
  "libimgbuild_oci.a"
)

file(REMOVE_RECURSE
  "libimgbuild_common.a"
)

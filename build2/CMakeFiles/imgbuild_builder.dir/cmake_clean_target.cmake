file(REMOVE_RECURSE
  "libimgbuild_builder.a"
)

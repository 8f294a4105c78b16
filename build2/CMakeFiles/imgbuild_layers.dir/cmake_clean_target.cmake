file(REMOVE_RECURSE
  "libimgbuild_layers.a"
)

file(REMOVE_RECURSE
  "libimgbuild_pkg.a"
)

file(REMOVE_RECURSE
  "libimgbuild_pypi.a"
)

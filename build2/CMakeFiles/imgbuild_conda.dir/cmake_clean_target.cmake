file(REMOVE_RECURSE
  "libimgbuild_conda.a"
)

file(REMOVE_RECURSE
  "libimgbuild_testutil.a"
)

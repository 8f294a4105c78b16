file(REMOVE_RECURSE
  "CMakeFiles/imgbuild_testutil.dir/unit/helpers/condaver.c.o"
  "CMakeFiles/imgbuild_testutil.dir/unit/helpers/condaver.c.o.d"
  "CMakeFiles/imgbuild_testutil.dir/unit/helpers/mkelf.c.o"
  "CMakeFiles/imgbuild_testutil.dir/unit/helpers/mkelf.c.o.d"
  "CMakeFiles/imgbuild_testutil.dir/unit/helpers/mklayout.c.o"
  "CMakeFiles/imgbuild_testutil.dir/unit/helpers/mklayout.c.o.d"
  "CMakeFiles/imgbuild_testutil.dir/unit/helpers/mkpkg.c.o"
  "CMakeFiles/imgbuild_testutil.dir/unit/helpers/mkpkg.c.o.d"
  "CMakeFiles/imgbuild_testutil.dir/unit/helpers/testutil.c.o"
  "CMakeFiles/imgbuild_testutil.dir/unit/helpers/testutil.c.o.d"
  "libimgbuild_testutil.a"
  "libimgbuild_testutil.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/imgbuild_testutil.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

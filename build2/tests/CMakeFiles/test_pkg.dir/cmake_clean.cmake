file(REMOVE_RECURSE
  "CMakeFiles/test_pkg.dir/unit/test_pkg.c.o"
  "CMakeFiles/test_pkg.dir/unit/test_pkg.c.o.d"
  "test_pkg"
  "test_pkg.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_pkg.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

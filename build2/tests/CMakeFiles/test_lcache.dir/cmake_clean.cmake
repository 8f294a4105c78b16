file(REMOVE_RECURSE
  "CMakeFiles/test_lcache.dir/unit/test_lcache.c.o"
  "CMakeFiles/test_lcache.dir/unit/test_lcache.c.o.d"
  "test_lcache"
  "test_lcache.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_lcache.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

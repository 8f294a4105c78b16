file(REMOVE_RECURSE
  "CMakeFiles/test_lock.dir/unit/test_lock.c.o"
  "CMakeFiles/test_lock.dir/unit/test_lock.c.o.d"
  "test_lock"
  "test_lock.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_lock.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

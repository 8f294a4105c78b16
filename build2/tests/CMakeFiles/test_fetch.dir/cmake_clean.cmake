file(REMOVE_RECURSE
  "CMakeFiles/test_fetch.dir/unit/test_fetch.c.o"
  "CMakeFiles/test_fetch.dir/unit/test_fetch.c.o.d"
  "test_fetch"
  "test_fetch.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_fetch.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

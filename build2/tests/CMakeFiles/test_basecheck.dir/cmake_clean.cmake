file(REMOVE_RECURSE
  "CMakeFiles/test_basecheck.dir/unit/test_basecheck.c.o"
  "CMakeFiles/test_basecheck.dir/unit/test_basecheck.c.o.d"
  "test_basecheck"
  "test_basecheck.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_basecheck.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

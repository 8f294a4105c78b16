file(REMOVE_RECURSE
  "CMakeFiles/test_matchspec.dir/unit/test_matchspec.c.o"
  "CMakeFiles/test_matchspec.dir/unit/test_matchspec.c.o.d"
  "test_matchspec"
  "test_matchspec.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_matchspec.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

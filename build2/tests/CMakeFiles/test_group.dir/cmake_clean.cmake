file(REMOVE_RECURSE
  "CMakeFiles/test_group.dir/unit/test_group.c.o"
  "CMakeFiles/test_group.dir/unit/test_group.c.o.d"
  "test_group"
  "test_group.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_group.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

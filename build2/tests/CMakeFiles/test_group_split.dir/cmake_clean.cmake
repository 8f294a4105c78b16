file(REMOVE_RECURSE
  "CMakeFiles/test_group_split.dir/unit/test_group_split.c.o"
  "CMakeFiles/test_group_split.dir/unit/test_group_split.c.o.d"
  "test_group_split"
  "test_group_split.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_group_split.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

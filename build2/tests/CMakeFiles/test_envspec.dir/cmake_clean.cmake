file(REMOVE_RECURSE
  "CMakeFiles/test_envspec.dir/unit/test_envspec.c.o"
  "CMakeFiles/test_envspec.dir/unit/test_envspec.c.o.d"
  "test_envspec"
  "test_envspec.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_envspec.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

file(REMOVE_RECURSE
  "CMakeFiles/test_virtual.dir/unit/test_virtual.c.o"
  "CMakeFiles/test_virtual.dir/unit/test_virtual.c.o.d"
  "test_virtual"
  "test_virtual.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_virtual.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

file(REMOVE_RECURSE
  "CMakeFiles/test_reg.dir/unit/test_reg.c.o"
  "CMakeFiles/test_reg.dir/unit/test_reg.c.o.d"
  "test_reg"
  "test_reg.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_reg.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

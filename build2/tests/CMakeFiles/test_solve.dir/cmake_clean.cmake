file(REMOVE_RECURSE
  "CMakeFiles/test_solve.dir/unit/test_solve.c.o"
  "CMakeFiles/test_solve.dir/unit/test_solve.c.o.d"
  "test_solve"
  "test_solve.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_solve.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

file(REMOVE_RECURSE
  "CMakeFiles/test_solve_explain.dir/unit/test_solve_explain.c.o"
  "CMakeFiles/test_solve_explain.dir/unit/test_solve_explain.c.o.d"
  "test_solve_explain"
  "test_solve_explain.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_solve_explain.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

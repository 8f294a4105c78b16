file(REMOVE_RECURSE
  "CMakeFiles/test_ref.dir/unit/test_ref.c.o"
  "CMakeFiles/test_ref.dir/unit/test_ref.c.o.d"
  "test_ref"
  "test_ref.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_ref.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

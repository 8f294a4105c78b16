file(REMOVE_RECURSE
  "CMakeFiles/test_basefs.dir/unit/test_basefs.c.o"
  "CMakeFiles/test_basefs.dir/unit/test_basefs.c.o.d"
  "test_basefs"
  "test_basefs.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_basefs.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

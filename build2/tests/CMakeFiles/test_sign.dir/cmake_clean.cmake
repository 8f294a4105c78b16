file(REMOVE_RECURSE
  "CMakeFiles/test_sign.dir/unit/test_sign.c.o"
  "CMakeFiles/test_sign.dir/unit/test_sign.c.o.d"
  "test_sign"
  "test_sign.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_sign.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

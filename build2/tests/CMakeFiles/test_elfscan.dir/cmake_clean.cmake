file(REMOVE_RECURSE
  "CMakeFiles/test_elfscan.dir/unit/test_elfscan.c.o"
  "CMakeFiles/test_elfscan.dir/unit/test_elfscan.c.o.d"
  "test_elfscan"
  "test_elfscan.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_elfscan.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

file(REMOVE_RECURSE
  "CMakeFiles/test_install.dir/unit/test_install.c.o"
  "CMakeFiles/test_install.dir/unit/test_install.c.o.d"
  "test_install"
  "test_install.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_install.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

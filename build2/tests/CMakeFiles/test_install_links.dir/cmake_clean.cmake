file(REMOVE_RECURSE
  "CMakeFiles/test_install_links.dir/unit/test_install_links.c.o"
  "CMakeFiles/test_install_links.dir/unit/test_install_links.c.o.d"
  "test_install_links"
  "test_install_links.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_install_links.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

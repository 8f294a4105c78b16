file(REMOVE_RECURSE
  "CMakeFiles/test_pypi_tags.dir/unit/test_pypi_tags.c.o"
  "CMakeFiles/test_pypi_tags.dir/unit/test_pypi_tags.c.o.d"
  "test_pypi_tags"
  "test_pypi_tags.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_pypi_tags.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

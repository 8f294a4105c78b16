file(REMOVE_RECURSE
  "CMakeFiles/test_pypi_index.dir/unit/test_pypi_index.c.o"
  "CMakeFiles/test_pypi_index.dir/unit/test_pypi_index.c.o.d"
  "test_pypi_index"
  "test_pypi_index.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_pypi_index.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

file(REMOVE_RECURSE
  "CMakeFiles/test_pypi_pep440.dir/unit/test_pypi_pep440.c.o"
  "CMakeFiles/test_pypi_pep440.dir/unit/test_pypi_pep440.c.o.d"
  "test_pypi_pep440"
  "test_pypi_pep440.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_pypi_pep440.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

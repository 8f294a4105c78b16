file(REMOVE_RECURSE
  "CMakeFiles/test_pypi_resolve.dir/unit/test_pypi_resolve.c.o"
  "CMakeFiles/test_pypi_resolve.dir/unit/test_pypi_resolve.c.o.d"
  "test_pypi_resolve"
  "test_pypi_resolve.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_pypi_resolve.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

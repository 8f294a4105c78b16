file(REMOVE_RECURSE
  "CMakeFiles/test_pypi_req.dir/unit/test_pypi_req.c.o"
  "CMakeFiles/test_pypi_req.dir/unit/test_pypi_req.c.o.d"
  "test_pypi_req"
  "test_pypi_req.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_pypi_req.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

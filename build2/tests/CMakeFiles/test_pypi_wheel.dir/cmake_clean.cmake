file(REMOVE_RECURSE
  "CMakeFiles/test_pypi_wheel.dir/unit/test_pypi_wheel.c.o"
  "CMakeFiles/test_pypi_wheel.dir/unit/test_pypi_wheel.c.o.d"
  "test_pypi_wheel"
  "test_pypi_wheel.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_pypi_wheel.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

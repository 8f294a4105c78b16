file(REMOVE_RECURSE
  "CMakeFiles/test_pypi_corpus.dir/unit/test_pypi_corpus.c.o"
  "CMakeFiles/test_pypi_corpus.dir/unit/test_pypi_corpus.c.o.d"
  "test_pypi_corpus"
  "test_pypi_corpus.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_pypi_corpus.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

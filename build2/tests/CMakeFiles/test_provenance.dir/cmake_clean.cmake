file(REMOVE_RECURSE
  "CMakeFiles/test_provenance.dir/unit/test_provenance.c.o"
  "CMakeFiles/test_provenance.dir/unit/test_provenance.c.o.d"
  "test_provenance"
  "test_provenance.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_provenance.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

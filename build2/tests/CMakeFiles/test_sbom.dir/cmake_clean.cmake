file(REMOVE_RECURSE
  "CMakeFiles/test_sbom.dir/unit/test_sbom.c.o"
  "CMakeFiles/test_sbom.dir/unit/test_sbom.c.o.d"
  "test_sbom"
  "test_sbom.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_sbom.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

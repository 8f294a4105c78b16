file(REMOVE_RECURSE
  "CMakeFiles/test_cache_artifact.dir/unit/test_cache_artifact.c.o"
  "CMakeFiles/test_cache_artifact.dir/unit/test_cache_artifact.c.o.d"
  "test_cache_artifact"
  "test_cache_artifact.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_cache_artifact.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

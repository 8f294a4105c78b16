file(REMOVE_RECURSE
  "CMakeFiles/test_repodata.dir/unit/test_repodata.c.o"
  "CMakeFiles/test_repodata.dir/unit/test_repodata.c.o.d"
  "test_repodata"
  "test_repodata.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_repodata.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

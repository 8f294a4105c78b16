file(REMOVE_RECURSE
  "CMakeFiles/test_referrers.dir/unit/test_referrers.c.o"
  "CMakeFiles/test_referrers.dir/unit/test_referrers.c.o.d"
  "test_referrers"
  "test_referrers.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_referrers.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

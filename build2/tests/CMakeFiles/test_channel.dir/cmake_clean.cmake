file(REMOVE_RECURSE
  "CMakeFiles/test_channel.dir/unit/test_channel.c.o"
  "CMakeFiles/test_channel.dir/unit/test_channel.c.o.d"
  "test_channel"
  "test_channel.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_channel.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

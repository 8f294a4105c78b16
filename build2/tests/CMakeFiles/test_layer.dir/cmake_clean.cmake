file(REMOVE_RECURSE
  "CMakeFiles/test_layer.dir/unit/test_layer.c.o"
  "CMakeFiles/test_layer.dir/unit/test_layer.c.o.d"
  "test_layer"
  "test_layer.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_layer.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

file(REMOVE_RECURSE
  "CMakeFiles/test_image_verify.dir/unit/test_image_verify.c.o"
  "CMakeFiles/test_image_verify.dir/unit/test_image_verify.c.o.d"
  "test_image_verify"
  "test_image_verify.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_image_verify.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

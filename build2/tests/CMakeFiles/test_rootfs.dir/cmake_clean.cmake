file(REMOVE_RECURSE
  "CMakeFiles/test_rootfs.dir/unit/test_rootfs.c.o"
  "CMakeFiles/test_rootfs.dir/unit/test_rootfs.c.o.d"
  "test_rootfs"
  "test_rootfs.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_rootfs.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

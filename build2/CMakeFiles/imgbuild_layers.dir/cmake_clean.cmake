file(REMOVE_RECURSE
  "CMakeFiles/imgbuild_layers.dir/layers/basecheck.c.o"
  "CMakeFiles/imgbuild_layers.dir/layers/basecheck.c.o.d"
  "CMakeFiles/imgbuild_layers.dir/layers/basecheck_cache.c.o"
  "CMakeFiles/imgbuild_layers.dir/layers/basecheck_cache.c.o.d"
  "CMakeFiles/imgbuild_layers.dir/layers/basefs.c.o"
  "CMakeFiles/imgbuild_layers.dir/layers/basefs.c.o.d"
  "CMakeFiles/imgbuild_layers.dir/layers/blob.c.o"
  "CMakeFiles/imgbuild_layers.dir/layers/blob.c.o.d"
  "CMakeFiles/imgbuild_layers.dir/layers/chunkgz.c.o"
  "CMakeFiles/imgbuild_layers.dir/layers/chunkgz.c.o.d"
  "CMakeFiles/imgbuild_layers.dir/layers/elfscan.c.o"
  "CMakeFiles/imgbuild_layers.dir/layers/elfscan.c.o.d"
  "CMakeFiles/imgbuild_layers.dir/layers/group.c.o"
  "CMakeFiles/imgbuild_layers.dir/layers/group.c.o.d"
  "CMakeFiles/imgbuild_layers.dir/layers/layer.c.o"
  "CMakeFiles/imgbuild_layers.dir/layers/layer.c.o.d"
  "CMakeFiles/imgbuild_layers.dir/layers/layer_mem.c.o"
  "CMakeFiles/imgbuild_layers.dir/layers/layer_mem.c.o.d"
  "CMakeFiles/imgbuild_layers.dir/layers/lcache.c.o"
  "CMakeFiles/imgbuild_layers.dir/layers/lcache.c.o.d"
  "CMakeFiles/imgbuild_layers.dir/layers/overlap.c.o"
  "CMakeFiles/imgbuild_layers.dir/layers/overlap.c.o.d"
  "CMakeFiles/imgbuild_layers.dir/layers/rootfs.c.o"
  "CMakeFiles/imgbuild_layers.dir/layers/rootfs.c.o.d"
  "CMakeFiles/imgbuild_layers.dir/layers/tree.c.o"
  "CMakeFiles/imgbuild_layers.dir/layers/tree.c.o.d"
  "libimgbuild_layers.a"
  "libimgbuild_layers.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/imgbuild_layers.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

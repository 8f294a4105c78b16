
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/intd/layers/basecheck.c" "CMakeFiles/imgbuild_layers.dir/layers/basecheck.c.o" "gcc" "CMakeFiles/imgbuild_layers.dir/layers/basecheck.c.o.d"
  "/work/intd/layers/basecheck_cache.c" "CMakeFiles/imgbuild_layers.dir/layers/basecheck_cache.c.o" "gcc" "CMakeFiles/imgbuild_layers.dir/layers/basecheck_cache.c.o.d"
  "/work/intd/layers/basefs.c" "CMakeFiles/imgbuild_layers.dir/layers/basefs.c.o" "gcc" "CMakeFiles/imgbuild_layers.dir/layers/basefs.c.o.d"
  "/work/intd/layers/blob.c" "CMakeFiles/imgbuild_layers.dir/layers/blob.c.o" "gcc" "CMakeFiles/imgbuild_layers.dir/layers/blob.c.o.d"
  "/work/intd/layers/chunkgz.c" "CMakeFiles/imgbuild_layers.dir/layers/chunkgz.c.o" "gcc" "CMakeFiles/imgbuild_layers.dir/layers/chunkgz.c.o.d"
  "/work/intd/layers/elfscan.c" "CMakeFiles/imgbuild_layers.dir/layers/elfscan.c.o" "gcc" "CMakeFiles/imgbuild_layers.dir/layers/elfscan.c.o.d"
  "/work/intd/layers/group.c" "CMakeFiles/imgbuild_layers.dir/layers/group.c.o" "gcc" "CMakeFiles/imgbuild_layers.dir/layers/group.c.o.d"
  "/work/intd/layers/layer.c" "CMakeFiles/imgbuild_layers.dir/layers/layer.c.o" "gcc" "CMakeFiles/imgbuild_layers.dir/layers/layer.c.o.d"
  "/work/intd/layers/layer_mem.c" "CMakeFiles/imgbuild_layers.dir/layers/layer_mem.c.o" "gcc" "CMakeFiles/imgbuild_layers.dir/layers/layer_mem.c.o.d"
  "/work/intd/layers/lcache.c" "CMakeFiles/imgbuild_layers.dir/layers/lcache.c.o" "gcc" "CMakeFiles/imgbuild_layers.dir/layers/lcache.c.o.d"
  "/work/intd/layers/overlap.c" "CMakeFiles/imgbuild_layers.dir/layers/overlap.c.o" "gcc" "CMakeFiles/imgbuild_layers.dir/layers/overlap.c.o.d"
  "/work/intd/layers/rootfs.c" "CMakeFiles/imgbuild_layers.dir/layers/rootfs.c.o" "gcc" "CMakeFiles/imgbuild_layers.dir/layers/rootfs.c.o.d"
  "/work/intd/layers/tree.c" "CMakeFiles/imgbuild_layers.dir/layers/tree.c.o" "gcc" "CMakeFiles/imgbuild_layers.dir/layers/tree.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/intd/build2/CMakeFiles/imgbuild_common.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")


# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/intd/conda/channel.c" "CMakeFiles/imgbuild_conda.dir/conda/channel.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/channel.c.o.d"
  "/work/intd/conda/channel_probe.c" "CMakeFiles/imgbuild_conda.dir/conda/channel_probe.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/channel_probe.c.o.d"
  "/work/intd/conda/channel_shards.c" "CMakeFiles/imgbuild_conda.dir/conda/channel_shards.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/channel_shards.c.o.d"
  "/work/intd/conda/envspec.c" "CMakeFiles/imgbuild_conda.dir/conda/envspec.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/envspec.c.o.d"
  "/work/intd/conda/lock.c" "CMakeFiles/imgbuild_conda.dir/conda/lock.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/lock.c.o.d"
  "/work/intd/conda/lock_write.c" "CMakeFiles/imgbuild_conda.dir/conda/lock_write.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/lock_write.c.o.d"
  "/work/intd/conda/matchspec.c" "CMakeFiles/imgbuild_conda.dir/conda/matchspec.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/matchspec.c.o.d"
  "/work/intd/conda/repodata.c" "CMakeFiles/imgbuild_conda.dir/conda/repodata.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/repodata.c.o.d"
  "/work/intd/conda/repoindex.c" "CMakeFiles/imgbuild_conda.dir/conda/repoindex.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/repoindex.c.o.d"
  "/work/intd/conda/repoindex_json.c" "CMakeFiles/imgbuild_conda.dir/conda/repoindex_json.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/repoindex_json.c.o.d"
  "/work/intd/conda/repoindex_scan.c" "CMakeFiles/imgbuild_conda.dir/conda/repoindex_scan.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/repoindex_scan.c.o.d"
  "/work/intd/conda/shard.c" "CMakeFiles/imgbuild_conda.dir/conda/shard.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/shard.c.o.d"
  "/work/intd/conda/shard_msgpack.c" "CMakeFiles/imgbuild_conda.dir/conda/shard_msgpack.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/shard_msgpack.c.o.d"
  "/work/intd/conda/solve.c" "CMakeFiles/imgbuild_conda.dir/conda/solve.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/solve.c.o.d"
  "/work/intd/conda/solve_cache.c" "CMakeFiles/imgbuild_conda.dir/conda/solve_cache.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/solve_cache.c.o.d"
  "/work/intd/conda/solve_explain.c" "CMakeFiles/imgbuild_conda.dir/conda/solve_explain.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/solve_explain.c.o.d"
  "/work/intd/conda/solve_sparse.c" "CMakeFiles/imgbuild_conda.dir/conda/solve_sparse.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/solve_sparse.c.o.d"
  "/work/intd/conda/virtual.c" "CMakeFiles/imgbuild_conda.dir/conda/virtual.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/virtual.c.o.d"
  "/work/intd/conda/yamlutil.c" "CMakeFiles/imgbuild_conda.dir/conda/yamlutil.c.o" "gcc" "CMakeFiles/imgbuild_conda.dir/conda/yamlutil.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/intd/build2/CMakeFiles/imgbuild_common.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")

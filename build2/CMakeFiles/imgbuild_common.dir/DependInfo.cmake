
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/intd/common/buf.c" "CMakeFiles/imgbuild_common.dir/common/buf.c.o" "gcc" "CMakeFiles/imgbuild_common.dir/common/buf.c.o.d"
  "/work/intd/common/digest.c" "CMakeFiles/imgbuild_common.dir/common/digest.c.o" "gcc" "CMakeFiles/imgbuild_common.dir/common/digest.c.o.d"
  "/work/intd/common/err.c" "CMakeFiles/imgbuild_common.dir/common/err.c.o" "gcc" "CMakeFiles/imgbuild_common.dir/common/err.c.o.d"
  "/work/intd/common/fsutil.c" "CMakeFiles/imgbuild_common.dir/common/fsutil.c.o" "gcc" "CMakeFiles/imgbuild_common.dir/common/fsutil.c.o.d"
  "/work/intd/common/http.c" "CMakeFiles/imgbuild_common.dir/common/http.c.o" "gcc" "CMakeFiles/imgbuild_common.dir/common/http.c.o.d"
  "/work/intd/common/http_get.c" "CMakeFiles/imgbuild_common.dir/common/http_get.c.o" "gcc" "CMakeFiles/imgbuild_common.dir/common/http_get.c.o.d"
  "/work/intd/common/http_url.c" "CMakeFiles/imgbuild_common.dir/common/http_url.c.o" "gcc" "CMakeFiles/imgbuild_common.dir/common/http_url.c.o.d"
  "/work/intd/common/log.c" "CMakeFiles/imgbuild_common.dir/common/log.c.o" "gcc" "CMakeFiles/imgbuild_common.dir/common/log.c.o.d"
  "/work/intd/common/pkgrec.c" "CMakeFiles/imgbuild_common.dir/common/pkgrec.c.o" "gcc" "CMakeFiles/imgbuild_common.dir/common/pkgrec.c.o.d"
  "/work/intd/common/pkgrec_list.c" "CMakeFiles/imgbuild_common.dir/common/pkgrec_list.c.o" "gcc" "CMakeFiles/imgbuild_common.dir/common/pkgrec_list.c.o.d"
  "/work/intd/common/scratch.c" "CMakeFiles/imgbuild_common.dir/common/scratch.c.o" "gcc" "CMakeFiles/imgbuild_common.dir/common/scratch.c.o.d"
  "/work/intd/common/stagelinks.c" "CMakeFiles/imgbuild_common.dir/common/stagelinks.c.o" "gcc" "CMakeFiles/imgbuild_common.dir/common/stagelinks.c.o.d"
  "/work/intd/common/workpool.c" "CMakeFiles/imgbuild_common.dir/common/workpool.c.o" "gcc" "CMakeFiles/imgbuild_common.dir/common/workpool.c.o.d"
  "/work/intd/common/xalloc.c" "CMakeFiles/imgbuild_common.dir/common/xalloc.c.o" "gcc" "CMakeFiles/imgbuild_common.dir/common/xalloc.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")


# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/intd/pkg/fetch.c" "CMakeFiles/imgbuild_pkg.dir/pkg/fetch.c.o" "gcc" "CMakeFiles/imgbuild_pkg.dir/pkg/fetch.c.o.d"
  "/work/intd/pkg/install.c" "CMakeFiles/imgbuild_pkg.dir/pkg/install.c.o" "gcc" "CMakeFiles/imgbuild_pkg.dir/pkg/install.c.o.d"
  "/work/intd/pkg/install_condameta.c" "CMakeFiles/imgbuild_pkg.dir/pkg/install_condameta.c.o" "gcc" "CMakeFiles/imgbuild_pkg.dir/pkg/install_condameta.c.o.d"
  "/work/intd/pkg/install_entry.c" "CMakeFiles/imgbuild_pkg.dir/pkg/install_entry.c.o" "gcc" "CMakeFiles/imgbuild_pkg.dir/pkg/install_entry.c.o.d"
  "/work/intd/pkg/install_extract.c" "CMakeFiles/imgbuild_pkg.dir/pkg/install_extract.c.o" "gcc" "CMakeFiles/imgbuild_pkg.dir/pkg/install_extract.c.o.d"
  "/work/intd/pkg/install_links.c" "CMakeFiles/imgbuild_pkg.dir/pkg/install_links.c.o" "gcc" "CMakeFiles/imgbuild_pkg.dir/pkg/install_links.c.o.d"
  "/work/intd/pkg/install_meta.c" "CMakeFiles/imgbuild_pkg.dir/pkg/install_meta.c.o" "gcc" "CMakeFiles/imgbuild_pkg.dir/pkg/install_meta.c.o.d"
  "/work/intd/pkg/install_placeholder.c" "CMakeFiles/imgbuild_pkg.dir/pkg/install_placeholder.c.o" "gcc" "CMakeFiles/imgbuild_pkg.dir/pkg/install_placeholder.c.o.d"
  "/work/intd/pkg/install_xcache.c" "CMakeFiles/imgbuild_pkg.dir/pkg/install_xcache.c.o" "gcc" "CMakeFiles/imgbuild_pkg.dir/pkg/install_xcache.c.o.d"
  "/work/intd/pkg/pkg.c" "CMakeFiles/imgbuild_pkg.dir/pkg/pkg.c.o" "gcc" "CMakeFiles/imgbuild_pkg.dir/pkg/pkg.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/intd/build2/CMakeFiles/imgbuild_common.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")

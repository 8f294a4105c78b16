
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/intd/pypi/distfile.c" "CMakeFiles/imgbuild_pypi.dir/pypi/distfile.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/distfile.c.o.d"
  "/work/intd/pypi/fetch_curl.c" "CMakeFiles/imgbuild_pypi.dir/pypi/fetch_curl.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/fetch_curl.c.o.d"
  "/work/intd/pypi/index.c" "CMakeFiles/imgbuild_pypi.dir/pypi/index.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/index.c.o.d"
  "/work/intd/pypi/index_dl.c" "CMakeFiles/imgbuild_pypi.dir/pypi/index_dl.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/index_dl.c.o.d"
  "/work/intd/pypi/index_meta.c" "CMakeFiles/imgbuild_pypi.dir/pypi/index_meta.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/index_meta.c.o.d"
  "/work/intd/pypi/index_page.c" "CMakeFiles/imgbuild_pypi.dir/pypi/index_page.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/index_page.c.o.d"
  "/work/intd/pypi/index_provider.c" "CMakeFiles/imgbuild_pypi.dir/pypi/index_provider.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/index_provider.c.o.d"
  "/work/intd/pypi/marker.c" "CMakeFiles/imgbuild_pypi.dir/pypi/marker.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/marker.c.o.d"
  "/work/intd/pypi/metadata.c" "CMakeFiles/imgbuild_pypi.dir/pypi/metadata.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/metadata.c.o.d"
  "/work/intd/pypi/pep440.c" "CMakeFiles/imgbuild_pypi.dir/pypi/pep440.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/pep440.c.o.d"
  "/work/intd/pypi/pyfetch.c" "CMakeFiles/imgbuild_pypi.dir/pypi/pyfetch.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/pyfetch.c.o.d"
  "/work/intd/pypi/pyname.c" "CMakeFiles/imgbuild_pypi.dir/pypi/pyname.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/pyname.c.o.d"
  "/work/intd/pypi/pypi_int.c" "CMakeFiles/imgbuild_pypi.dir/pypi/pypi_int.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/pypi_int.c.o.d"
  "/work/intd/pypi/pyurl.c" "CMakeFiles/imgbuild_pypi.dir/pypi/pyurl.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/pyurl.c.o.d"
  "/work/intd/pypi/req.c" "CMakeFiles/imgbuild_pypi.dir/pypi/req.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/req.c.o.d"
  "/work/intd/pypi/reqfile.c" "CMakeFiles/imgbuild_pypi.dir/pypi/reqfile.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/reqfile.c.o.d"
  "/work/intd/pypi/resolve.c" "CMakeFiles/imgbuild_pypi.dir/pypi/resolve.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/resolve.c.o.d"
  "/work/intd/pypi/tags.c" "CMakeFiles/imgbuild_pypi.dir/pypi/tags.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/tags.c.o.d"
  "/work/intd/pypi/wheel.c" "CMakeFiles/imgbuild_pypi.dir/pypi/wheel.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/wheel.c.o.d"
  "/work/intd/pypi/wheel_extract.c" "CMakeFiles/imgbuild_pypi.dir/pypi/wheel_extract.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/wheel_extract.c.o.d"
  "/work/intd/pypi/wheel_record.c" "CMakeFiles/imgbuild_pypi.dir/pypi/wheel_record.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/wheel_record.c.o.d"
  "/work/intd/pypi/wheel_scripts.c" "CMakeFiles/imgbuild_pypi.dir/pypi/wheel_scripts.c.o" "gcc" "CMakeFiles/imgbuild_pypi.dir/pypi/wheel_scripts.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/intd/build2/CMakeFiles/imgbuild_common.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")


# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/intd/tests/unit/test_matchspec.c" "tests/CMakeFiles/test_matchspec.dir/unit/test_matchspec.c.o" "gcc" "tests/CMakeFiles/test_matchspec.dir/unit/test_matchspec.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/intd/build2/tests/CMakeFiles/imgbuild_testutil.dir/DependInfo.cmake"
  "/work/intd/build2/CMakeFiles/imgbuild_builder.dir/DependInfo.cmake"
  "/work/intd/build2/CMakeFiles/imgbuild_conda.dir/DependInfo.cmake"
  "/work/intd/build2/CMakeFiles/imgbuild_pypi.dir/DependInfo.cmake"
  "/work/intd/build2/CMakeFiles/imgbuild_pkg.dir/DependInfo.cmake"
  "/work/intd/build2/CMakeFiles/imgbuild_layers.dir/DependInfo.cmake"
  "/work/intd/build2/CMakeFiles/imgbuild_oci.dir/DependInfo.cmake"
  "/work/intd/build2/CMakeFiles/imgbuild_common.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")

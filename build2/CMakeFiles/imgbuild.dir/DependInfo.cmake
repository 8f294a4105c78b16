
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/intd/builder/cmd_build.c" "CMakeFiles/imgbuild.dir/builder/cmd_build.c.o" "gcc" "CMakeFiles/imgbuild.dir/builder/cmd_build.c.o.d"
  "/work/intd/builder/cmd_completion.c" "CMakeFiles/imgbuild.dir/builder/cmd_completion.c.o" "gcc" "CMakeFiles/imgbuild.dir/builder/cmd_completion.c.o.d"
  "/work/intd/builder/cmd_diff.c" "CMakeFiles/imgbuild.dir/builder/cmd_diff.c.o" "gcc" "CMakeFiles/imgbuild.dir/builder/cmd_diff.c.o.d"
  "/work/intd/builder/cmd_inspect.c" "CMakeFiles/imgbuild.dir/builder/cmd_inspect.c.o" "gcc" "CMakeFiles/imgbuild.dir/builder/cmd_inspect.c.o.d"
  "/work/intd/builder/cmd_lock.c" "CMakeFiles/imgbuild.dir/builder/cmd_lock.c.o" "gcc" "CMakeFiles/imgbuild.dir/builder/cmd_lock.c.o.d"
  "/work/intd/builder/cmd_plan.c" "CMakeFiles/imgbuild.dir/builder/cmd_plan.c.o" "gcc" "CMakeFiles/imgbuild.dir/builder/cmd_plan.c.o.d"
  "/work/intd/builder/cmd_push.c" "CMakeFiles/imgbuild.dir/builder/cmd_push.c.o" "gcc" "CMakeFiles/imgbuild.dir/builder/cmd_push.c.o.d"
  "/work/intd/builder/cmd_verify.c" "CMakeFiles/imgbuild.dir/builder/cmd_verify.c.o" "gcc" "CMakeFiles/imgbuild.dir/builder/cmd_verify.c.o.d"
  "/work/intd/builder/main.c" "CMakeFiles/imgbuild.dir/builder/main.c.o" "gcc" "CMakeFiles/imgbuild.dir/builder/main.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
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

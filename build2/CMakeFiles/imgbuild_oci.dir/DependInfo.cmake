
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/intd/oci/auth.c" "CMakeFiles/imgbuild_oci.dir/oci/auth.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/auth.c.o.d"
  "/work/intd/oci/base.c" "CMakeFiles/imgbuild_oci.dir/oci/base.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/base.c.o.d"
  "/work/intd/oci/cache_artifact.c" "CMakeFiles/imgbuild_oci.dir/oci/cache_artifact.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/cache_artifact.c.o.d"
  "/work/intd/oci/cache_records.c" "CMakeFiles/imgbuild_oci.dir/oci/cache_records.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/cache_records.c.o.d"
  "/work/intd/oci/docker_archive.c" "CMakeFiles/imgbuild_oci.dir/oci/docker_archive.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/docker_archive.c.o.d"
  "/work/intd/oci/image.c" "CMakeFiles/imgbuild_oci.dir/oci/image.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/image.c.o.d"
  "/work/intd/oci/layout.c" "CMakeFiles/imgbuild_oci.dir/oci/layout.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/layout.c.o.d"
  "/work/intd/oci/manifest.c" "CMakeFiles/imgbuild_oci.dir/oci/manifest.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/manifest.c.o.d"
  "/work/intd/oci/pull.c" "CMakeFiles/imgbuild_oci.dir/oci/pull.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/pull.c.o.d"
  "/work/intd/oci/push.c" "CMakeFiles/imgbuild_oci.dir/oci/push.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/push.c.o.d"
  "/work/intd/oci/push_par.c" "CMakeFiles/imgbuild_oci.dir/oci/push_par.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/push_par.c.o.d"
  "/work/intd/oci/ref.c" "CMakeFiles/imgbuild_oci.dir/oci/ref.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/ref.c.o.d"
  "/work/intd/oci/referrers.c" "CMakeFiles/imgbuild_oci.dir/oci/referrers.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/referrers.c.o.d"
  "/work/intd/oci/reg.c" "CMakeFiles/imgbuild_oci.dir/oci/reg.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/reg.c.o.d"
  "/work/intd/oci/reg_mount.c" "CMakeFiles/imgbuild_oci.dir/oci/reg_mount.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/reg_mount.c.o.d"
  "/work/intd/oci/reg_ops.c" "CMakeFiles/imgbuild_oci.dir/oci/reg_ops.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/reg_ops.c.o.d"
  "/work/intd/oci/reg_probe.c" "CMakeFiles/imgbuild_oci.dir/oci/reg_probe.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/reg_probe.c.o.d"
  "/work/intd/oci/reg_referrers.c" "CMakeFiles/imgbuild_oci.dir/oci/reg_referrers.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/reg_referrers.c.o.d"
  "/work/intd/oci/sign.c" "CMakeFiles/imgbuild_oci.dir/oci/sign.c.o" "gcc" "CMakeFiles/imgbuild_oci.dir/oci/sign.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/intd/build2/CMakeFiles/imgbuild_common.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")

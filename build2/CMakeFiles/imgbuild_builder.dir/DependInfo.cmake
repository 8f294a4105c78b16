
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/intd/builder/cachedir.c" "CMakeFiles/imgbuild_builder.dir/builder/cachedir.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/cachedir.c.o.d"
  "/work/intd/builder/config.c" "CMakeFiles/imgbuild_builder.dir/builder/config.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/config.c.o.d"
  "/work/intd/builder/context.c" "CMakeFiles/imgbuild_builder.dir/builder/context.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/context.c.o.d"
  "/work/intd/builder/context_pip.c" "CMakeFiles/imgbuild_builder.dir/builder/context_pip.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/context_pip.c.o.d"
  "/work/intd/builder/context_pip_conda.c" "CMakeFiles/imgbuild_builder.dir/builder/context_pip_conda.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/context_pip_conda.c.o.d"
  "/work/intd/builder/context_solve.c" "CMakeFiles/imgbuild_builder.dir/builder/context_solve.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/context_solve.c.o.d"
  "/work/intd/builder/image_diff.c" "CMakeFiles/imgbuild_builder.dir/builder/image_diff.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/image_diff.c.o.d"
  "/work/intd/builder/image_info.c" "CMakeFiles/imgbuild_builder.dir/builder/image_info.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/image_info.c.o.d"
  "/work/intd/builder/image_open.c" "CMakeFiles/imgbuild_builder.dir/builder/image_open.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/image_open.c.o.d"
  "/work/intd/builder/image_verify.c" "CMakeFiles/imgbuild_builder.dir/builder/image_verify.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/image_verify.c.o.d"
  "/work/intd/builder/lcache_stage.c" "CMakeFiles/imgbuild_builder.dir/builder/lcache_stage.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/lcache_stage.c.o.d"
  "/work/intd/builder/metadata.c" "CMakeFiles/imgbuild_builder.dir/builder/metadata.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/metadata.c.o.d"
  "/work/intd/builder/options.c" "CMakeFiles/imgbuild_builder.dir/builder/options.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/options.c.o.d"
  "/work/intd/builder/pipeline.c" "CMakeFiles/imgbuild_builder.dir/builder/pipeline.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/pipeline.c.o.d"
  "/work/intd/builder/pipeline_base.c" "CMakeFiles/imgbuild_builder.dir/builder/pipeline_base.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/pipeline_base.c.o.d"
  "/work/intd/builder/pipeline_config.c" "CMakeFiles/imgbuild_builder.dir/builder/pipeline_config.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/pipeline_config.c.o.d"
  "/work/intd/builder/plan_report.c" "CMakeFiles/imgbuild_builder.dir/builder/plan_report.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/plan_report.c.o.d"
  "/work/intd/builder/preflight.c" "CMakeFiles/imgbuild_builder.dir/builder/preflight.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/preflight.c.o.d"
  "/work/intd/builder/progress.c" "CMakeFiles/imgbuild_builder.dir/builder/progress.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/progress.c.o.d"
  "/work/intd/builder/provenance.c" "CMakeFiles/imgbuild_builder.dir/builder/provenance.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/provenance.c.o.d"
  "/work/intd/builder/publish.c" "CMakeFiles/imgbuild_builder.dir/builder/publish.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/publish.c.o.d"
  "/work/intd/builder/rcache_stage.c" "CMakeFiles/imgbuild_builder.dir/builder/rcache_stage.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/rcache_stage.c.o.d"
  "/work/intd/builder/sbom.c" "CMakeFiles/imgbuild_builder.dir/builder/sbom.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/sbom.c.o.d"
  "/work/intd/builder/sbom_attach.c" "CMakeFiles/imgbuild_builder.dir/builder/sbom_attach.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/sbom_attach.c.o.d"
  "/work/intd/builder/sbom_cache.c" "CMakeFiles/imgbuild_builder.dir/builder/sbom_cache.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/sbom_cache.c.o.d"
  "/work/intd/builder/spread.c" "CMakeFiles/imgbuild_builder.dir/builder/spread.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/builder/spread.c.o.d"
  "/work/intd/build2/generated/default_recipe.c" "CMakeFiles/imgbuild_builder.dir/generated/default_recipe.c.o" "gcc" "CMakeFiles/imgbuild_builder.dir/generated/default_recipe.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/intd/build2/CMakeFiles/imgbuild_conda.dir/DependInfo.cmake"
  "/work/intd/build2/CMakeFiles/imgbuild_pypi.dir/DependInfo.cmake"
  "/work/intd/build2/CMakeFiles/imgbuild_pkg.dir/DependInfo.cmake"
  "/work/intd/build2/CMakeFiles/imgbuild_layers.dir/DependInfo.cmake"
  "/work/intd/build2/CMakeFiles/imgbuild_oci.dir/DependInfo.cmake"
  "/work/intd/build2/CMakeFiles/imgbuild_common.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")

file(REMOVE_RECURSE
  "CMakeFiles/imgbuild.dir/builder/cmd_build.c.o"
  "CMakeFiles/imgbuild.dir/builder/cmd_build.c.o.d"
  "CMakeFiles/imgbuild.dir/builder/cmd_completion.c.o"
  "CMakeFiles/imgbuild.dir/builder/cmd_completion.c.o.d"
  "CMakeFiles/imgbuild.dir/builder/cmd_diff.c.o"
  "CMakeFiles/imgbuild.dir/builder/cmd_diff.c.o.d"
  "CMakeFiles/imgbuild.dir/builder/cmd_inspect.c.o"
  "CMakeFiles/imgbuild.dir/builder/cmd_inspect.c.o.d"
  "CMakeFiles/imgbuild.dir/builder/cmd_lock.c.o"
  "CMakeFiles/imgbuild.dir/builder/cmd_lock.c.o.d"
  "CMakeFiles/imgbuild.dir/builder/cmd_plan.c.o"
  "CMakeFiles/imgbuild.dir/builder/cmd_plan.c.o.d"
  "CMakeFiles/imgbuild.dir/builder/cmd_push.c.o"
  "CMakeFiles/imgbuild.dir/builder/cmd_push.c.o.d"
  "CMakeFiles/imgbuild.dir/builder/cmd_verify.c.o"
  "CMakeFiles/imgbuild.dir/builder/cmd_verify.c.o.d"
  "CMakeFiles/imgbuild.dir/builder/main.c.o"
  "CMakeFiles/imgbuild.dir/builder/main.c.o.d"
  "imgbuild"
  "imgbuild.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/imgbuild.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

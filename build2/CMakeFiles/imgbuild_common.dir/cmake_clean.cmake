file(REMOVE_RECURSE
  "CMakeFiles/imgbuild_common.dir/common/buf.c.o"
  "CMakeFiles/imgbuild_common.dir/common/buf.c.o.d"
  "CMakeFiles/imgbuild_common.dir/common/digest.c.o"
  "CMakeFiles/imgbuild_common.dir/common/digest.c.o.d"
  "CMakeFiles/imgbuild_common.dir/common/err.c.o"
  "CMakeFiles/imgbuild_common.dir/common/err.c.o.d"
  "CMakeFiles/imgbuild_common.dir/common/fsutil.c.o"
  "CMakeFiles/imgbuild_common.dir/common/fsutil.c.o.d"
  "CMakeFiles/imgbuild_common.dir/common/http.c.o"
  "CMakeFiles/imgbuild_common.dir/common/http.c.o.d"
  "CMakeFiles/imgbuild_common.dir/common/http_get.c.o"
  "CMakeFiles/imgbuild_common.dir/common/http_get.c.o.d"
  "CMakeFiles/imgbuild_common.dir/common/http_url.c.o"
  "CMakeFiles/imgbuild_common.dir/common/http_url.c.o.d"
  "CMakeFiles/imgbuild_common.dir/common/log.c.o"
  "CMakeFiles/imgbuild_common.dir/common/log.c.o.d"
  "CMakeFiles/imgbuild_common.dir/common/pkgrec.c.o"
  "CMakeFiles/imgbuild_common.dir/common/pkgrec.c.o.d"
  "CMakeFiles/imgbuild_common.dir/common/pkgrec_list.c.o"
  "CMakeFiles/imgbuild_common.dir/common/pkgrec_list.c.o.d"
  "CMakeFiles/imgbuild_common.dir/common/scratch.c.o"
  "CMakeFiles/imgbuild_common.dir/common/scratch.c.o.d"
  "CMakeFiles/imgbuild_common.dir/common/stagelinks.c.o"
  "CMakeFiles/imgbuild_common.dir/common/stagelinks.c.o.d"
  "CMakeFiles/imgbuild_common.dir/common/workpool.c.o"
  "CMakeFiles/imgbuild_common.dir/common/workpool.c.o.d"
  "CMakeFiles/imgbuild_common.dir/common/xalloc.c.o"
  "CMakeFiles/imgbuild_common.dir/common/xalloc.c.o.d"
  "libimgbuild_common.a"
  "libimgbuild_common.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/imgbuild_common.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

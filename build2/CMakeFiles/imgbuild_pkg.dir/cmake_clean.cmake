file(REMOVE_RECURSE
  "CMakeFiles/imgbuild_pkg.dir/pkg/fetch.c.o"
  "CMakeFiles/imgbuild_pkg.dir/pkg/fetch.c.o.d"
  "CMakeFiles/imgbuild_pkg.dir/pkg/install.c.o"
  "CMakeFiles/imgbuild_pkg.dir/pkg/install.c.o.d"
  "CMakeFiles/imgbuild_pkg.dir/pkg/install_condameta.c.o"
  "CMakeFiles/imgbuild_pkg.dir/pkg/install_condameta.c.o.d"
  "CMakeFiles/imgbuild_pkg.dir/pkg/install_entry.c.o"
  "CMakeFiles/imgbuild_pkg.dir/pkg/install_entry.c.o.d"
  "CMakeFiles/imgbuild_pkg.dir/pkg/install_extract.c.o"
  "CMakeFiles/imgbuild_pkg.dir/pkg/install_extract.c.o.d"
  "CMakeFiles/imgbuild_pkg.dir/pkg/install_links.c.o"
  "CMakeFiles/imgbuild_pkg.dir/pkg/install_links.c.o.d"
  "CMakeFiles/imgbuild_pkg.dir/pkg/install_meta.c.o"
  "CMakeFiles/imgbuild_pkg.dir/pkg/install_meta.c.o.d"
  "CMakeFiles/imgbuild_pkg.dir/pkg/install_placeholder.c.o"
  "CMakeFiles/imgbuild_pkg.dir/pkg/install_placeholder.c.o.d"
  "CMakeFiles/imgbuild_pkg.dir/pkg/install_xcache.c.o"
  "CMakeFiles/imgbuild_pkg.dir/pkg/install_xcache.c.o.d"
  "CMakeFiles/imgbuild_pkg.dir/pkg/pkg.c.o"
  "CMakeFiles/imgbuild_pkg.dir/pkg/pkg.c.o.d"
  "libimgbuild_pkg.a"
  "libimgbuild_pkg.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/imgbuild_pkg.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()

CMakeFiles/imgbuild_builder.dir/generated/default_recipe.c.o: \
 /work/intd/build2/generated/default_recipe.c /usr/include/stdc-predef.h \
 /usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h

CMakeFiles/imgbuild_common.dir/common/log.c.o: /work/intd/common/log.c \
 /usr/include/stdc-predef.h /work/intd/common/log.h \
 /work/intd/common/err.h \
 /usr/lib/gcc/x86_64-linux-gnu/12/include/stdarg.h \
 /work/intd/common/buf.h \
 /usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h

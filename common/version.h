/* version.h — imgbuild's version, the one place it is written: `imgbuild --version` prints it
 * and every HTTP request carries it in the user agent (http.h). */
#ifndef IMGBUILD_VERSION_H
#define IMGBUILD_VERSION_H

#define IMGBUILD_VERSION "0.1.0"

#endif

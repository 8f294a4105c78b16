/* cachedir.h — where the cache lives and whether it is safe to use. Packages, extracted trees,
 * layers and repodata in it go into images unchecked once they are there, so nobody but the
 * user (or root) may be able to write into it or to swap it, or any directory above it, for
 * their own. With HOME unset the default is /tmp/.cache/imgbuild, inside a world-writable
 * directory: that is fine only while /tmp/.cache is the user's own.
 * Rules, for the cache directory and every parent up to "/" (symlinks resolved first):
 *   - owned by the user or by root;
 *   - not writable by others, nor by a group, unless it is a parent with the sticky bit (as
 *     /tmp: others cannot rename or remove what is not theirs), or the group is root's or the
 *     user's private group (a group of the user's name with no other members, as Debian's
 *     USERGROUPS_ENAB makes with umask 002).
 * Owns: those rules. May call: common/. */
#ifndef IMGBUILD_CACHEDIR_H
#define IMGBUILD_CACHEDIR_H

#include "buf.h"
#include "err.h"

/* out = given (--cache-dir), else $XDG_CACHE_HOME/imgbuild, else $HOME/.cache/imgbuild, else
 * /tmp/.cache/imgbuild; created when missing, then checked by the rules above. The error names
 * the directory at fault and the fix (--cache-dir, chmod). */
int cachedir_resolve(const char *given, buf_t *out, err_t *err);

#endif

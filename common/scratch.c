/* scratch.c — pid-named scratch files and directories, and their sweep (see scratch.h). */
#include "scratch.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

static void scratch_template(const char *parent, const char *prefix, buf_t *out)
{
	buf_setstr(out, parent);
	buf_addpath(out, "");
	buf_addf(out, "%s%ld-XXXXXX", prefix, (long)getpid());
}

int scratch_mkdtemp(const char *parent, const char *prefix, buf_t *out, err_t *err)
{
	if (fs_mkdir_p(parent, err))
		return -1;
	scratch_template(parent, prefix, out);
	if (!mkdtemp(out->data))
		return err_set(err, "%s: cannot create a temporary directory: %s", parent,
			       strerror(errno));
	return 0;
}

int scratch_mkstemp(const char *parent, const char *prefix, buf_t *out, err_t *err)
{
	if (fs_mkdir_p(parent, err))
		return -1;
	scratch_template(parent, prefix, out);
	int fd = mkstemp(out->data);
	if (fd < 0)
		return err_set(err, "%s: cannot create a temporary file: %s", parent,
			       strerror(errno));
	return fd;
}

static int pid_is_gone(long pid)
{
	return pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

void scratch_sweep(const char *parent, const char *prefix)
{
	DIR *d = opendir(parent);
	struct dirent *de;
	buf_t p = BUF_INIT;
	err_t ignored = ERR_INIT;
	size_t n = strlen(prefix);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char *end = NULL;
		if (strncmp(de->d_name, prefix, n) != 0)
			continue;
		long pid = strtol(de->d_name + n, &end, 10);
		if (!end || *end != '-' || !pid_is_gone(pid))
			continue;
		buf_setstr(&p, parent);
		buf_addpath(&p, de->d_name);
		fs_rm_rf(p.data, &ignored);
	}
	closedir(d);
	err_clear(&ignored);
	buf_free(&p);
}

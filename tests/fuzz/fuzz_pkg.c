/* fuzz_pkg.c — a package archive as a hostile channel can ship it: read member by member with
 * pkg/pkg.c (format by content: "PK" is a .conda, anything else a possibly compressed tar,
 * plain tar included so mutations reach the members), then installed by install_package into
 * a staging directory three levels below the harness's scratch root. Property: the install
 * never creates anything in the scratch root outside that staging parent (a "../" that got
 * through would). Writes are bounded by RLIMIT_FSIZE (SIGXFSZ ignored: a write fails instead),
 * memory by libFuzzer's -rss_limit_mb; pkg/install's own caps are another engineer's work
 * (issue 10 #9), so expansion bombs show as timeouts or out-of-memory reports, not crashes. */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fsutil.h"
#include "fuzz_util.h"
#include "install.h"
#include "pkg.h"

#define MAX_READ_BYTES (8u << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	struct rlimit fsize = {64u << 20, 64u << 20};
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &fsize);
	return 0;
}

/* Every member, with its data read (bounded), as the installer's first pass reads them. */
static void read_members(const char *path)
{
	err_t err = ERR_INIT;
	pkg_t *p = pkg_open(path, &err);
	const pkg_entry_t *e;
	char chunk[1 << 14];
	size_t total = 0;
	int rc = 0;
	if (!p) {
		fuzz_check_message(&err, NULL);
		goto out;
	}
	while ((rc = pkg_next(p, &e, &err)) == 1) {
		FUZZ_ASSERT(e->name, "member without a name");
		ssize_t n;
		while (e->type == PKG_ENTRY_FILE && total < MAX_READ_BYTES &&
		       (n = pkg_read_data(p, chunk, sizeof chunk, &err)) > 0)
			total += (size_t)n;
	}
	if (rc < 0)
		fuzz_check_message(&err, NULL);
out:
	pkg_free(p);
	err_clear(&err);
}

/* Entries of dir other than the expected ones: 1 when something else appeared. */
static int has_stray_entries(const char *dir, const char *const *expected)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int stray = 0;
	while (d && (de = readdir(d)) != NULL) {
		int ok = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
		for (const char *const *x = expected; *x && !ok; x++)
			ok = !strcmp(de->d_name, *x);
		stray |= !ok;
	}
	if (d)
		closedir(d);
	return stray;
}

static void install(const char *archive, const char *fn)
{
	static const char *const top[] = {"fuzz-1.0-0.conda", "fuzz-1.0-0.tar.bz2", "a", NULL};
	static const char *const mid[] = {"b", NULL}, *const low[] = {"c", NULL};
	buf_t root = BUF_INIT, dest = BUF_INIT;
	err_t err = ERR_INIT;
	pkgrec_t rec = {.name = "fuzz",
			.version = "1.0",
			.build = "0",
			.fn = (char *)fn,
			.subdir = "linux-64",
			.url = "https://fuzz.example/c/linux-64/x",
			.channel = "https://fuzz.example/c"};
	install_opts_t opts = {.target_prefix = "/opt/conda/envs/fuzz", .python_version = "3.11"};
	buf_addf(&root, "%s/a", fuzz_scratch());
	fs_rm_rf(root.data, &err);
	buf_addf(&dest, "%s/b/c", root.data);
	FUZZ_ASSERT(fs_mkdir_p(dest.data, &err) == 0, "%s", err_msg(&err));
	buf_addstr(&dest, "/stage");
	if (install_package(&opts, &rec, archive, dest.data, &err) != 0)
		fuzz_check_message(&err, NULL);
	FUZZ_ASSERT(!has_stray_entries(fuzz_scratch(), top), "the install wrote beside %s",
		    root.data);
	buf_addstr(&root, "/b");
	FUZZ_ASSERT(!has_stray_entries(root.data, low), "the install wrote into %s", root.data);
	buf_truncate(&root, root.len - 2);
	FUZZ_ASSERT(!has_stray_entries(root.data, mid), "the install wrote into %s", root.data);
	fs_rm_rf(root.data, &err);
	err_clear(&err);
	buf_free(&root);
	buf_free(&dest);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	buf_t path = BUF_INIT;
	const char *fn = size >= 2 && data[0] == 'P' && data[1] == 'K' ? "fuzz-1.0-0.conda"
								       : "fuzz-1.0-0.tar.bz2";
	fuzz_write_file(fn, data, size, &path);
	read_members(path.data);
	install(path.data, fn);
	unlink(path.data);
	buf_free(&path);
	return 0;
}

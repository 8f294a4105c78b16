/* testutil.c — see testutil.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "pkgrec.h"
#include "testutil.h"

int testdir_setup(void **state)
{
	testdir_t *t = calloc(1, sizeof *t);
	err_t err = ERR_INIT;
	if (!t || fs_mkdtemp("/tmp", "imgbuild-test.", &t->root, &err)) {
		free(t);
		return -1;
	}
	*state = t;
	return 0;
}

int testdir_teardown(void **state)
{
	testdir_t *t = *state;
	err_t err = ERR_INIT;
	fs_rm_rf(t->root.data, &err);
	err_clear(&err);
	buf_free(&t->root);
	free(t);
	return 0;
}

int testutil_have_tool(const char *name)
{
	buf_t cmd = BUF_INIT;
	buf_addf(&cmd, "command -v %s >/dev/null 2>&1", name);
	int ok = system(cmd.data) == 0;
	buf_free(&cmd);
	return ok;
}

char *testutil_run_out(const char *fmt, ...)
{
	buf_t cmd = BUF_INIT, out = BUF_INIT;
	char chunk[4096];
	size_t n;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	buf_addstr(&cmd, " 2>&1");
	FILE *p = popen(cmd.data, "r");
	if (!p)
		fail_msg("popen: %s", cmd.data);
	while ((n = fread(chunk, 1, sizeof chunk, p)) > 0)
		buf_add(&out, chunk, n);
	if (pclose(p) != 0)
		fail_msg("%s\n%s", cmd.data, buf_cstr(&out));
	buf_free(&cmd);
	return buf_detach(&out);
}

char *testutil_tmpdir_new(const char *prefix)
{
	buf_t dir = BUF_INIT;
	buf_t p = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&p, "%s.", prefix);
	int rc = fs_mkdtemp("/tmp", p.data, &dir, &err);
	buf_free(&p);
	err_clear(&err);
	if (rc) {
		buf_free(&dir);
		return NULL;
	}
	return buf_detach(&dir);
}

void testutil_tmpdir_remove(char *dir)
{
	err_t err = ERR_INIT;
	if (dir)
		fs_rm_rf(dir, &err);
	err_clear(&err);
	free(dir);
}

char *testutil_join(const char *a, const char *b)
{
	buf_t p = BUF_INIT;
	buf_addstr(&p, a);
	buf_addpath(&p, b);
	return buf_detach(&p);
}

void testutil_write_file(const char *path, const void *data, size_t len)
{
	err_t err = ERR_INIT;
	const char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		buf_t dir = BUF_INIT;
		buf_add(&dir, path, (size_t)(slash - path));
		if (fs_mkdir_p(dir.data, &err))
			fail_msg("%s", err_msg(&err));
		buf_free(&dir);
	}
	if (fs_write_atomic(path, data, len, &err))
		fail_msg("%s", err_msg(&err));
}

void testutil_write_text(const char *path, const char *text)
{
	testutil_write_file(path, text, strlen(text));
}

char *testutil_read_file(const char *path, size_t *len)
{
	buf_t b = BUF_INIT;
	err_t err = ERR_INIT;
	if (buf_read_file(&b, path, 64u << 20, &err) != 0)
		fail_msg("%s", err_msg(&err));
	if (len)
		*len = b.len;
	return buf_detach(&b);
}

void testutil_log_collect(void *ud, const char *msg)
{
	testutil_log_t *log = ud;
	buf_addf(&log->text, "%s\n", msg);
	log->n++;
}

FILE *testutil_stderr_capture(int *saved)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	fflush(stderr);
	*saved = dup(2);
	dup2(fileno(f), 2);
	return f;
}

char *testutil_stderr_restore(FILE *f, int saved)
{
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	long n = ftell(f);
	char *msg = calloc((size_t)(n > 0 ? n : 0) + 1, 1);
	rewind(f);
	if (n > 0 && fread(msg, 1, (size_t)n, f) != (size_t)n)
		fail_msg("cannot read back stderr");
	fclose(f);
	return msg;
}

int testutil_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* argv: root, port file, log file. The port is published by rename, so it is whole. */
static const char *SERVER_PY =
	"import hashlib, http.server, os, sys\n"
	"root, portfile, logfile = sys.argv[1:4]\n"
	"class H(http.server.BaseHTTPRequestHandler):\n"
	"    def log_message(self, *a): pass\n"
	"    def reply(self, code, tag=None, data=b''):\n"
	"        with open(logfile, 'a') as f: f.write('%s %d\\n' % (self.path, code))\n"
	"        self.send_response(code)\n"
	"        if tag: self.send_header('ETag', tag)\n"
	"        if code != 304: self.send_header('Content-Length', str(len(data)))\n"
	"        self.end_headers()\n"
	"        if code != 304: self.wfile.write(data)\n"
	"    def do_GET(self):\n"
	"        try:\n"
	"            data = open(os.path.join(root, self.path.lstrip('/')), 'rb').read()\n"
	"        except OSError:\n"
	"            return self.reply(404)\n"
	"        tag = '\"' + hashlib.sha256(data).hexdigest()[:16] + '\"'\n"
	"        if self.headers.get('If-None-Match') == tag:\n"
	"            return self.reply(304, tag)\n"
	"        self.reply(200, tag, data)\n"
	"s = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
	"open(portfile + '.tmp', 'w').write(str(s.server_address[1]))\n"
	"os.rename(portfile + '.tmp', portfile)\n"
	"s.serve_forever()\n";

int testutil_serve_dir(const char *dir, const char *work_dir, buf_t *log, pid_t *pid, int *port)
{
	buf_t script = BUF_INIT, portfile = BUF_INIT, text = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&script, "%s/server.py", work_dir);
	buf_addf(&portfile, "%s/port", work_dir);
	buf_reset(log);
	buf_addf(log, "%s/server.log", work_dir);
	*port = 0;
	testutil_write_text(script.data, SERVER_PY);
	*pid = fork();
	if (*pid == 0) {
		execl("/usr/bin/python3", "python3", script.data, dir, portfile.data, log->data,
		      (char *)NULL);
		_exit(127);
	}
	/* Wait (up to 10 s) for the server to bind and publish its port. */
	for (int i = 0; i < 200 && !fs_exists(portfile.data); i++) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	int rc = buf_read_file(&text, portfile.data, 64, &err);
	if (rc == 0)
		*port = (int)strtol(text.data, NULL, 10);
	buf_free(&script);
	buf_free(&portfile);
	buf_free(&text);
	err_clear(&err);
	return rc == 0 && *port > 0 ? 0 : -1;
}

void testutil_serve_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

struct pkgrec *testutil_pkgrec(const char *name, long long size_bytes)
{
	pkgrec_t *r = pkgrec_new();
	r->name = strdup(name);
	r->version = strdup("1.0");
	r->build = strdup("0");
	r->fn = strdup(name);
	r->size = size_bytes;
	return r;
}

/* install_entry.c — noarch: python entry points (info/link.json) written as bin/<name>
 * scripts with the target python in the shebang, as conda does. Nothing is executed. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "fsutil.h"
#include "install_int.h"
#include "xalloc.h"

static int is_identifier_path(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.')
			return 0;
	return 1;
}

static void trim(char *s)
{
	size_t n = strlen(s), i = 0;
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	while (isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i + 1);
}

/* "name = module:func" -> bin/name, from conda's python_entry_point_template. */
static int write_entry_point(inst_t *in, const char *spec, err_t *err)
{
	buf_t script = BUF_INIT, dst = BUF_INIT;
	char hex[DIGEST_HEX_MAX];
	char *copy = xstrdup(spec);
	int rc = -1;
	char *eq = strchr(copy, '=');
	char *colon = eq ? strchr(eq, ':') : NULL;
	if (!eq || !colon) {
		err_set(err,
			"package %s: info/link.json: entry point \"%s\" is not `name = "
			"module:func`",
			in->dist, spec);
		goto out;
	}
	*eq = '\0';
	*colon = '\0';
	char *name = copy, *module = eq + 1, *func = colon + 1;
	trim(name);
	trim(module);
	trim(func);
	for (const char *c = name; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			/* "ok\nx" would become a file bin/ok<newline>x (issue 10). */
			inst_refuse(in, err, "info/link.json",
				    "entry point name contains a control character (newline, tab, "
				    "...)");
			goto out;
		}
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
	    strpbrk(name, " \t\"'\\") || !is_identifier_path(module) || !is_identifier_path(func)) {
		inst_refuse(in, err, "info/link.json",
			    "entry point with an unsafe name, module or function");
		goto out;
	}
	size_t import_len = strcspn(func, ".");
	buf_addf(&script,
		 "#!%s/bin/python\n"
		 "# -*- coding: utf-8 -*-\n"
		 "import re\n"
		 "import sys\n"
		 "\n"
		 "from %s import %.*s\n"
		 "\n"
		 "if __name__ == '__main__':\n"
		 "    sys.argv[0] = re.sub(r'(-script\\.pyw?|\\.exe)?$', '', sys.argv[0])\n"
		 "    sys.exit(%s())\n",
		 in->opts->target_prefix, module, (int)import_len, func, func);
	buf_addf(&dst, "bin/%s", name);
	if (inst_write_new_file(in, dst.data, script.data, script.len, 0755, err) != 0)
		goto out;
	json_t *obj = inst_add_rec(in, dst.data);
	digest_buf_hex(DIGEST_SHA256, script.data, script.len, hex);
	json_object_set_new(obj, "path_type", json_string("unix_python_entry_point"));
	json_object_set_new(obj, "sha256_in_prefix", json_string(hex));
	json_object_set_new(obj, "size_in_bytes", json_integer((json_int_t)script.len));
	rc = 0;
out:
	free(copy);
	buf_free(&script);
	buf_free(&dst);
	return rc;
}

int inst_write_entry_points(inst_t *in, err_t *err)
{
	json_t *eps = json_object_get(json_object_get(in->link, "noarch"), "entry_points");
	for (size_t i = 0; i < json_array_size(eps); i++) {
		const char *spec = json_string_value(json_array_get(eps, i));
		if (!spec)
			return err_set(
				err,
				"package %s: info/link.json: entry_points[%zu] is not a string",
				in->dist, i);
		if (write_entry_point(in, spec, err) != 0)
			return -1;
	}
	return 0;
}

/* ---- conda-meta/<dist>.json ---- */

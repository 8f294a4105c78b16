/* wheel_scripts.c — what the wheel installer writes as scripts (see wheel_int.h): shebang
 * lines for the image's python, and launchers for console_scripts / gui_scripts entry points
 * read from entry_points.txt. A wheel is untrusted input and entry points end up in Python
 * source and in file names, so both are checked strictly before use. */
#include "wheel.h"
#include "wheel_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pypi_int.h"
#include "xalloc.h"

#define SHEBANG_MAX 127 /* Linux reads at most 127 bytes of "#!..." (BINPRM_BUF_SIZE - 1) */
#define ENTRY_POINTS_MAX 1000

void pypi_wheel_shebang(const char *python, const char *args, buf_t *out)
{
	buf_reset(out);
	/* "#!" + python + args + "\n" must fit, and the kernel splits no arguments at spaces in
	 * the interpreter path: otherwise run it through /bin/sh, as distlib (pip) and conda do.
	 * The second and third lines are one Python string literal, so Python ignores them. */
	if (!strchr(python, ' ') && strlen(python) + strlen(args) + 3 <= SHEBANG_MAX) {
		buf_addf(out, "#!%s%s\n", python, args);
		return;
	}
	buf_addf(out, "#!/bin/sh\n'''exec' \"%s\"%s \"$0\" \"$@\"\n' '''\n", python, args);
}

/* A dotted Python name: identifier(.identifier)*, ASCII only. */
static int is_dotted_name(const char *s, size_t len)
{
	size_t i = 0;
	if (len == 0)
		return 0;
	while (i < len) {
		if (!isalpha((unsigned char)s[i]) && s[i] != '_')
			return 0;
		while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_'))
			i++;
		if (i < len && (s[i] != '.' || i + 1 == len))
			return 0;
		i += i < len;
	}
	return 1;
}

static int is_script_name(const char *s)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, "..") || strlen(s) > 255)
		return 0;
	for (const char *p = s; *p; p++)
		if (*p == '/' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* "name = module:attr [extras]" -> ep; -1 + err when either part is not acceptable. */
static int parse_entry(const char *line, size_t len, const char *wheel, wheel_entry_point_t *ep,
		       err_t *err)
{
	const char *eq = memchr(line, '=', len), *ref, *colon;
	size_t nlen, rlen;
	if (!eq)
		return err_set(
			err, "wheel %s: entry_points.txt line '%.*s' is not 'name = module:object'",
			wheel, (int)(len > 200 ? 200 : len), line);
	nlen = (size_t)(eq - line);
	const char *name = pypi_trim(line, &nlen);
	rlen = len - (size_t)(eq + 1 - line);
	ref = pypi_trim(eq + 1, &rlen);
	if (memchr(ref, '[', rlen)) /* extras after the reference: ignored, as installers do */
		rlen = (size_t)((const char *)memchr(ref, '[', rlen) - ref);
	ref = pypi_trim(ref, &rlen);
	colon = memchr(ref, ':', rlen);
	ep->name = xstrndup(name, nlen);
	if (!is_script_name(ep->name) || !colon || !is_dotted_name(ref, (size_t)(colon - ref)) ||
	    !is_dotted_name(colon + 1, rlen - (size_t)(colon + 1 - ref)))
		return err_set(err,
			       "wheel %s: entry point '%.*s' is not 'script-name = module:object' "
			       "with a plain file name and dotted Python names",
			       wheel, (int)(len > 200 ? 200 : len), line);
	ep->module = xstrndup(ref, (size_t)(colon - ref));
	ep->attr = xstrndup(colon + 1, rlen - (size_t)(colon + 1 - ref));
	return 0;
}

int wheel_entry_points_parse(const char *text, size_t len, const char *wheel,
			     wheel_entry_point_t **out, size_t *n, err_t *err)
{
	const char *p = text, *end = text + len;
	int in_scripts = 0;
	*out = NULL;
	*n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t ll = (nl ? (size_t)(nl - p) : (size_t)(end - p));
		const char *line = pypi_trim(p, &ll);
		p = nl ? nl + 1 : end;
		if (ll == 0 || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[') {
			in_scripts = (ll == 17 && !memcmp(line, "[console_scripts]", 17)) ||
				     (ll == 13 && !memcmp(line, "[gui_scripts]", 13));
			continue;
		}
		if (!in_scripts)
			continue;
		if (*n == ENTRY_POINTS_MAX)
			return err_set(err, "wheel %s: more than %d script entry points", wheel,
				       ENTRY_POINTS_MAX);
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		memset(&(*out)[*n], 0, sizeof **out);
		if (parse_entry(line, ll, wheel, &(*out)[(*n)++], err) < 0)
			return -1;
	}
	return 0;
}

void wheel_entry_points_free(wheel_entry_point_t *eps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(eps[i].name);
		free(eps[i].module);
		free(eps[i].attr);
	}
	free(eps);
}

void wheel_launcher(const char *python, const wheel_entry_point_t *ep, buf_t *out)
{
	buf_t shebang = BUF_INIT;
	size_t first = strcspn(ep->attr, ".");
	pypi_wheel_shebang(python, "", &shebang);
	/* the launcher pip and pypa/installer write: import the object's first name, call the
	 * full attribute path, strip a Windows launcher suffix from argv[0] */
	buf_reset(out);
	buf_addf(out,
		 "%s# -*- coding: utf-8 -*-\n"
		 "import re\n"
		 "import sys\n"
		 "from %s import %.*s\n"
		 "if __name__ == \"__main__\":\n"
		 "    sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n"
		 "    sys.exit(%s())\n",
		 buf_cstr(&shebang), ep->module, (int)first, ep->attr, ep->attr);
	buf_free(&shebang);
}

/* ref.c — Docker-compatible image reference parsing (see ref.h). The grammar is the one in
 * distribution's reference package: path components [a-z0-9]+ joined by '.', '_', '__' or
 * runs of '-'; tags [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; the whole name at most 255 chars. */
#include "ref.h"

#include <stdlib.h>
#include <ctype.h>
#include <string.h>

#include "digest.h"
#include "xalloc.h"

#define REF_NAME_MAX 255
#define REF_TAG_MAX 128

static int is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int oci_ref_is_digest(const char *s)
{
	return digest_oci_hex(s) != NULL;
}

/* One path component of length n: alnum runs separated by '.', '_', "__" or '-'+. */
static int component_ok(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return 0;
	while (i < n) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '.' || (s[i] == '_' && s[i + 1] != '_'))
			i++;
		else if (s[i] == '_' && s[i + 1] == '_')
			i += 2;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		else
			return 0;
		if (i >= n || !is_lower_alnum(s[i]))
			return 0;
	}
	return 1;
}

static int tag_ok(const char *t)
{
	size_t n = strlen(t);
	if (n == 0 || n > REF_TAG_MAX || t[0] == '.' || t[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

/* Host: letters, digits, '-', '.', an optional :port, or a bracketed IPv6 literal. */
static int registry_ok(const char *h, size_t n)
{
	size_t i = 0;
	if (n == 0)
		return 0;
	if (h[0] == '[') {
		/* distribution's ipv6address: \[[a-fA-F0-9:]+\] */
		for (i = 1; i < n && h[i] != ']'; i++)
			if (!isxdigit((unsigned char)h[i]) && h[i] != ':')
				return 0;
		if (i == n || i == 1)
			return 0;
		i++;
	} else {
		for (; i < n && h[i] != ':'; i++) {
			char c = h[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '.'))
				return 0;
		}
		if (i == 0)
			return 0;
	}
	if (i < n) {
		if (h[i] != ':' || i + 1 == n)
			return 0;
		for (i++; i < n; i++)
			if (h[i] < '0' || h[i] > '9')
				return 0;
	}
	return 1;
}

static size_t first_component_len(const char *s)
{
	const char *slash = strchr(s, '/');
	return slash ? (size_t)(slash - s) : 0;
}

int oci_ref_names_registry(const char *s)
{
	size_t n = first_component_len(s);
	if (n == 0)
		return 0;
	if (n == 9 && !strncmp(s, "localhost", 9))
		return 1;
	return memchr(s, '.', n) || memchr(s, ':', n) || s[0] == '[';
}

static int fail(err_t *err, const char *s, const char *why)
{
	return err_set(
		err,
		"invalid image reference '%s': %s (expected [REGISTRY/]NAME[:TAG][@sha256:DIGEST], "
		"e.g. registry.example.com/team/env:1.0)",
		s, why);
}

static int check_path(const char *s, const char *path, err_t *err)
{
	const char *p = path;
	if (strlen(path) > REF_NAME_MAX)
		return fail(err, s, "name longer than 255 characters");
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		for (size_t i = 0; i < n; i++)
			if (p[i] >= 'A' && p[i] <= 'Z')
				return fail(err, s, "repository names must be lower-case");
		if (!component_ok(p, n))
			return fail(err, s,
				    "bad repository path component (use a-z, 0-9 and single . _ __ "
				    "- separators)");
		if (!slash)
			return 0;
		p = slash + 1;
	}
}

int oci_ref_parse(const char *s, oci_ref_t *out, err_t *err)
{
	oci_ref_t r = OCI_REF_INIT;
	char *work = NULL, *at, *rest, *colon;
	int rc = -1;
	memset(out, 0, sizeof *out);
	if (!s || !*s) {
		fail(err, s ? s : "", "empty");
		goto out;
	}
	work = xstrdup(s);
	at = strchr(work, '@');
	if (at) {
		*at = '\0';
		if (!oci_ref_is_digest(at + 1)) {
			fail(err, s, "digest must be sha256: followed by 64 lower-case hex digits");
			goto out;
		}
		r.digest = xstrdup(at + 1);
	}
	rest = work;
	if (oci_ref_names_registry(work)) {
		size_t n = first_component_len(work);
		if (!registry_ok(work, n)) {
			fail(err, s, "bad registry host");
			goto out;
		}
		r.registry = xstrndup(work, n);
		rest = work + n + 1;
	} else {
		r.registry = xstrdup("docker.io");
	}
	/* a ':' after the last '/' starts the tag */
	colon = strrchr(rest, ':');
	if (colon && !strchr(colon, '/')) {
		*colon = '\0';
		if (!tag_ok(colon + 1)) {
			fail(err, s,
			     "bad tag (1-128 of A-Z a-z 0-9 _ . -, not starting with . or -)");
			goto out;
		}
		r.tag = xstrdup(colon + 1);
	}
	if (check_path(s, rest, err))
		goto out;
	if (!strcmp(r.registry, "docker.io") && !strchr(rest, '/')) {
		buf_t b = BUF_INIT;
		buf_addf(&b, "library/%s", rest);
		r.repository = buf_detach(&b);
	} else {
		r.repository = xstrdup(rest);
	}
	/* distribution checks the length of the normalised name (registry/repository), so what
	 * oci_ref_format writes always parses again */
	if (strlen(r.registry) + 1 + strlen(r.repository) > REF_NAME_MAX) {
		fail(err, s,
		     "name (registry/repository, with docker.io/library/ for Docker Hub "
		     "names) longer than 255 characters");
		goto out;
	}
	if (!r.tag && !r.digest)
		r.tag = xstrdup("latest");
	*out = r;
	memset(&r, 0, sizeof r);
	rc = 0;
out:
	oci_ref_clear(&r);
	free(work);
	return rc;
}

void oci_ref_clear(oci_ref_t *r)
{
	if (!r)
		return;
	free(r->registry);
	free(r->repository);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof *r);
}

void oci_ref_format(const oci_ref_t *r, buf_t *out)
{
	buf_reset(out);
	buf_addf(out, "%s/%s", r->registry, r->repository);
	if (r->tag)
		buf_addf(out, ":%s", r->tag);
	if (r->digest)
		buf_addf(out, "@%s", r->digest);
}

const char *oci_ref_api_host(const char *registry)
{
	if (!strcmp(registry, "docker.io") || !strcmp(registry, "index.docker.io"))
		return "registry-1.docker.io";
	return registry;
}

int oci_ref_is_loopback(const char *registry)
{
	size_t n;
	if (registry[0] == '[')
		return !strncmp(registry, "[::1]", 5);
	n = strcspn(registry, ":");
	if (n == 9 && !strncmp(registry, "localhost", 9))
		return 1;
	if (n >= 4 && !strncmp(registry, "127.", 4)) {
		for (size_t i = 4; i < n; i++)
			if (!((registry[i] >= '0' && registry[i] <= '9') || registry[i] == '.'))
				return 0;
		return 1;
	}
	return 0;
}

/* auth.c — credential lookup (flags, environment, Docker config, credential helpers) and
 * WWW-Authenticate parsing (see auth.h). Docker's config format: docs.docker.com
 * "docker login" / "credential helpers"; helper protocol: docker/docker-credential-helpers. */
#include "auth.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsutil.h"
#include "xalloc.h"

extern char **environ;

#define AUTH_CONFIG_MAX_BYTES (1u << 20)
#define AUTH_HELPER_MAX_BYTES (64u << 10)
#define AUTH_TOKEN_MAX_BYTES (64u << 10)
#define DOCKER_HUB_KEY "https://index.docker.io/v1/"

static void wipe_str(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void auth_creds_clear(auth_creds_t *c)
{
	if (!c)
		return;
	wipe_str(c->user);
	wipe_str(c->secret);
	wipe_str(c->identity_token);
	free(c->source);
	c->user = c->secret = c->identity_token = c->source = NULL;
}

static void set_source(auth_creds_t *out, const char *fmt, ...) ERR_PRINTF(2, 3);
static void set_source(auth_creds_t *out, const char *fmt, ...)
{
	buf_t b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	free(out->source);
	out->source = buf_detach(&b);
}

void auth_buf_wipe(buf_t *b)
{
	if (b->data)
		explicit_bzero(b->data, b->cap ? b->cap : b->len);
	buf_free(b);
}

static int set_creds(auth_creds_t *out, const char *user, size_t user_len, const char *secret)
{
	out->user = xstrndup(user, user_len);
	out->secret = xstrdup(secret);
	return 0;
}

/* "user:pass" (the password may contain ':'). */
static int split_pair(const char *pair, auth_creds_t *out)
{
	const char *colon = strchr(pair, ':');
	if (!colon || colon == pair)
		return -1;
	return set_creds(out, pair, (size_t)(colon - pair), colon + 1);
}

/* "https://host:5000/v1/" or "host" -> "host:5000"; docker.io's aliases -> docker.io. */
static void normalise_host(const char *key, buf_t *out)
{
	const char *p = strstr(key, "://");
	p = p ? p + 3 : key;
	buf_reset(out);
	buf_add(out, p, strcspn(p, "/"));
	if (!strcmp(out->data, "index.docker.io") || !strcmp(out->data, "registry-1.docker.io"))
		buf_setstr(out, "docker.io");
}

static int from_auth_entry(json_t *entry, const char *where, auth_creds_t *out, err_t *err)
{
	const char *auth = json_string_value(json_object_get(entry, "auth"));
	const char *user = json_string_value(json_object_get(entry, "username"));
	const char *pass = json_string_value(json_object_get(entry, "password"));
	const char *idtok = json_string_value(json_object_get(entry, "identitytoken"));
	if (idtok && *idtok) {
		/* `docker login` against an OAuth2 registry: "auth" then holds only the user name
		 */
		out->identity_token = xstrdup(idtok);
		out->user = xstrdup(user && *user ? user : "<token>");
		out->secret = xstrdup("");
		return 0;
	}
	if (auth && *auth) {
		size_t n = strlen(auth);
		unsigned char *dec = xcalloc(1, n + 1);
		int len;
		len = EVP_DecodeBlock(dec, (const unsigned char *)auth, (int)n);
		/* EVP_DecodeBlock counts '=' padding as zero bytes: drop them */
		while (len > 0 && n > 0 && auth[n - 1] == '=') {
			len--;
			n--;
		}
		int rc = len > 0 ? (dec[len] = '\0', split_pair((char *)dec, out)) : -1;
		explicit_bzero(dec, strlen(auth) + 1);
		free(dec);
		if (rc)
			return err_set(err,
				       "%s: the \"auth\" value is not base64 of USER:PASSWORD; run "
				       "`docker login` again",
				       where);
		return 0;
	}
	if (user && pass)
		return set_creds(out, user, strlen(user), pass);
	return 0;
}

/* posix_spawnp runs a name with a '/' as a path: "credsStore": "../../tmp/x" must not run. */
static int check_helper_name(const char *name, err_t *err)
{
	static const char ok[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
	if (*name && name[0] != '.' && strspn(name, ok) == strlen(name))
		return 0;
	return err_set(err,
		       "the Docker config names credential helper '%.64s', which is not a "
		       "helper name (letters, digits, '-', '_', '.'); fix credsStore/credHelpers",
		       name);
}

/* Runs `docker-credential-NAME get`, writing server to its stdin. Not found is success. */
/* Runs PROG get with server on stdin and collects its stdout (capped) into data; *status is
 * its wait status. Returns -1 (err set) when it cannot be started. */
static int spawn_helper(const char *prog, const char *server, buf_t *data, int *status, err_t *err)
{
	int in[2] = {-1, -1}, outp[2] = {-1, -1}, rc = -1;
	posix_spawn_file_actions_t fa;
	pid_t pid = -1;
	char *argv[] = {(char *)prog, "get", NULL};
	if (pipe(in) || pipe(outp)) {
		err_set(err, "credential helper %s: pipe: %s", prog, strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, outp[0]);
	int sp = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(outp[1]);
	in[0] = outp[1] = -1;
	if (sp != 0) {
		pid = -1;
		err_set(err,
			"credential helper %s not found on PATH (named by the Docker config); "
			"install it or remove credsStore/credHelpers",
			prog);
		goto out;
	}
	if (write(in[1], server, strlen(server)) < 0) {
		/* a helper that exits without reading: its exit status tells us more */
	}
	close(in[1]);
	in[1] = -1;
	char chunk[4096];
	ssize_t got;
	while ((got = read(outp[0], chunk, sizeof chunk)) > 0 && data->len < AUTH_HELPER_MAX_BYTES)
		buf_add(data, chunk, (size_t)got);
	explicit_bzero(chunk, sizeof chunk);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	rc = 0;
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	if (pid > 0)
		waitpid(pid, status, 0);
	return rc;
}

/* Fills out from a helper's {"Username", "Secret"} answer; wipes jansson's copy of the
 * secret. */
static int creds_from_helper_json(const char *prog, const char *server, const buf_t *data,
				  auth_creds_t *out, err_t *err)
{
	json_t *j = json_loadb(data->data ? data->data : "", data->len, 0, NULL);
	const char *user = json_string_value(json_object_get(j, "Username"));
	const char *secret = json_string_value(json_object_get(j, "Secret"));
	int rc = -1;
	if (!user || !secret) {
		err_set(err, "credential helper %s gave no Username/Secret JSON for %s", prog,
			server);
		goto out;
	}
	if (!strcmp(user, "<token>")) {
		/* docker-credential-helpers' convention: the secret is an identity token */
		out->identity_token = xstrdup(secret);
		out->user = xstrdup(user);
		out->secret = xstrdup("");
	} else {
		set_creds(out, user, strlen(user), secret);
	}
	rc = 0;
out:
	if (j) {
		/* jansson keeps its own copy of the secret: overwrite it before freeing */
		json_t *s = json_object_get(j, "Secret");
		if (json_is_string(s))
			explicit_bzero((char *)json_string_value(s), json_string_length(s));
		json_decref(j);
	}
	return rc;
}

static int run_helper(const char *name, const char *server, auth_creds_t *out, err_t *err)
{
	buf_t prog = BUF_INIT, data = BUF_INIT;
	int status = 0, rc = -1;
	if (check_helper_name(name, err) != 0)
		return -1;
	buf_addf(&prog, "docker-credential-%s", name);
	if (spawn_helper(prog.data, server, &data, &status, err) != 0)
		goto out;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (strstr(data.data ? data.data : "", "not found")) {
			rc = 0; /* the helper has nothing for this registry */
			goto out;
		}
		err_set(err,
			"credential helper %s failed for %s (exit %d); check it with `echo %s | %s "
			"get`",
			prog.data, server, WIFEXITED(status) ? WEXITSTATUS(status) : -1, server,
			prog.data);
		goto out;
	}
	rc = creds_from_helper_json(prog.data, server, &data, out, err);
out:
	auth_buf_wipe(&data);
	buf_free(&prog);
	return rc;
}

/* No credentials: where auth_lookup looked (a helper that had none is named). */
static void none_found(auth_creds_t *out, const char *registry, const char *config)
{
	char *asked = out->source;
	out->source = NULL;
	set_source(out, "none found (no --creds, no $IMGBUILD_REGISTRY_USER, nothing for %s in %s)",
		   registry, asked ? asked : config);
	free(asked);
}

static int from_docker_config(const auth_source_t *src, const char *registry, auth_creds_t *out,
			      err_t *err)
{
	buf_t path = BUF_INIT, host = BUF_INIT, data = BUF_INIT;
	json_t *cfg = NULL;
	json_error_t je;
	const char *key;
	json_t *v;
	int rc = -1;
	const char *dir = src->docker_config_dir ? src->docker_config_dir : getenv("DOCKER_CONFIG");
	if (dir && *dir) {
		buf_addstr(&path, dir);
	} else {
		const char *home = getenv("HOME");
		if (!home || !*home) {
			rc = 0;
			goto out;
		}
		buf_addstr(&path, home);
		buf_addpath(&path, ".docker");
	}
	buf_addpath(&path, "config.json");
	if (!fs_exists(path.data)) {
		rc = 0;
		goto out;
	}
	if (buf_read_file(&data, path.data, AUTH_CONFIG_MAX_BYTES, err))
		goto out;
	cfg = json_loadb(buf_cstr(&data), data.len, 0, &je);
	if (!cfg) { /* an empty file was "config.json:-1: ... (wrong arguments)" */
		err_set(err, "%s:%d: not valid JSON (%s); fix or remove the Docker config",
			path.data, je.line > 0 ? je.line : 1, je.text);
		goto out;
	}
	if (!json_is_object(cfg)) {
		err_set(err, "%s: not a JSON object; fix or remove the Docker config", path.data);
		goto out;
	}
	const char *server = !strcmp(registry, "docker.io") ? DOCKER_HUB_KEY : registry;
	json_object_foreach (json_object_get(cfg, "credHelpers"), key, v) {
		normalise_host(key, &host);
		if (!strcmp(host.data, registry) && json_is_string(v)) {
			set_source(out, "%s credHelpers (docker-credential-%s)", path.data,
				   json_string_value(v));
			rc = run_helper(json_string_value(v), server, out, err);
			goto out;
		}
	}
	json_object_foreach (json_object_get(cfg, "auths"), key, v) {
		normalise_host(key, &host);
		if (!strcmp(host.data, registry)) {
			buf_reset(&host);
			buf_addf(&host, "%s: auths[\"%s\"]", path.data, key);
			if (from_auth_entry(v, host.data, out, err))
				goto out;
			if (out->user) {
				set_source(out, "%s", host.data);
				rc = 0;
				goto out;
			}
		}
	}
	const char *store = json_string_value(json_object_get(cfg, "credsStore"));
	if (store && *store)
		set_source(out, "%s credsStore (docker-credential-%s)", path.data, store);
	rc = store && *store ? run_helper(store, server, out, err) : 0;
out:
	if (rc == 0 && !out->user)
		none_found(out, registry, path.len ? path.data : "$HOME/.docker/config.json");
	json_decref(cfg); /* may hold "auth": wipe the raw text below; jansson's copy is freed */
	auth_buf_wipe(&data);
	buf_free(&path);
	buf_free(&host);
	return rc;
}

static int lookup_creds(const auth_source_t *src, const char *registry, auth_creds_t *out,
			err_t *err);

/* On failure out holds nothing (not even the source), so callers clear it only on success. */
int auth_lookup(const auth_source_t *src, const char *registry, auth_creds_t *out, err_t *err)
{
	int rc = lookup_creds(src, registry, out, err);
	if (rc != 0)
		auth_creds_clear(out);
	return rc;
}

static int lookup_creds(const auth_source_t *src, const char *registry, auth_creds_t *out,
			err_t *err)
{
	const char *user = getenv("IMGBUILD_REGISTRY_USER");
	const char *pass = getenv("IMGBUILD_REGISTRY_PASSWORD");
	memset(out, 0, sizeof *out);
	if (src && src->creds) {
		if (split_pair(src->creds, out)) {
			err_set(err, "the given registry credentials are not USER:PASSWORD");
			return err_set_hint(err, ERR_HINT_REGISTRY_CREDS);
		}
		set_source(out, "--creds");
		return 0;
	}
	if (user && *user) {
		if (!pass)
			return err_set(err, "IMGBUILD_REGISTRY_USER is set but "
					    "IMGBUILD_REGISTRY_PASSWORD is not");
		set_source(out, "$IMGBUILD_REGISTRY_USER/$IMGBUILD_REGISTRY_PASSWORD");
		return set_creds(out, user, strlen(user), pass);
	}
	auth_source_t none = {0};
	return from_docker_config(src ? src : &none, registry, out, err);
}

/* ---- challenges ------------------------------------------------------------------------ */

/* 1 when s is non-empty and every byte is printable ASCII other than space. */
static int visible_ascii(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return 0;
	return 1;
}

static void skip_ws(const char **p)
{
	while (**p == ' ' || **p == '\t' || **p == ',')
		(*p)++;
}

/* key=value or key="quoted \" value"; returns 0 and advances, -1 at the end/garbage. */
static int next_param(const char **p, buf_t *key, buf_t *val)
{
	const char *s;
	skip_ws(p);
	s = *p;
	while (**p && **p != '=' && **p != ' ' && **p != ',')
		(*p)++;
	if (**p != '=' || *p == s)
		return -1;
	buf_reset(key);
	buf_add(key, s, (size_t)(*p - s));
	(*p)++;
	buf_reset(val);
	if (**p == '"') {
		(*p)++;
		while (**p && **p != '"') {
			if (**p == '\\' && (*p)[1])
				(*p)++;
			buf_addch(val, **p);
			(*p)++;
		}
		if (**p != '"')
			return -1;
		(*p)++;
	} else {
		s = *p;
		while (**p && **p != ',' && **p != ' ')
			(*p)++;
		buf_add(val, s, (size_t)(*p - s));
	}
	return 0;
}

/* The token endpoint gets our credentials: an http(s) URL of visible ASCII only (no file://,
 * no CR/LF to smuggle a header). Which hosts may receive them is reg.c's decision. */
static int realm_is_url(const char *realm)
{
	if (strncmp(realm, "https://", 8) != 0 && strncmp(realm, "http://", 7) != 0)
		return 0;
	return visible_ascii(realm);
}

int auth_challenge_parse(const char *header, auth_challenge_t *out, err_t *err)
{
	buf_t key = BUF_INIT, val = BUF_INIT;
	const char *p = header;
	size_t n;
	memset(out, 0, sizeof *out);
	while (*p == ' ')
		p++;
	n = strcspn(p, " ");
	if ((n == 6 && !strncasecmp(p, "Bearer", 6)))
		out->scheme = xstrdup("Bearer");
	else if (n == 5 && !strncasecmp(p, "Basic", 5))
		out->scheme = xstrdup("Basic");
	else
		return err_set(err,
			       "registry asks for unsupported authentication '%.*s' (only Basic "
			       "and Bearer)",
			       (int)(n > 32 ? 32 : n), p);
	p += n;
	while (next_param(&p, &key, &val) == 0) {
		char **slot = !strcasecmp(key.data, "realm")     ? &out->realm
			      : !strcasecmp(key.data, "service") ? &out->service
			      : !strcasecmp(key.data, "scope")   ? &out->scope
								 : NULL;
		if (slot) {
			free(*slot);
			/* service="" is a service not named: absent (it was strdup(NULL), exit 139)
			 */
			*slot = val.len ? xstrdup(val.data) : NULL;
		}
	}
	buf_free(&key);
	buf_free(&val);
	if (!strcmp(out->scheme, "Bearer") && !out->realm) {
		auth_challenge_clear(out);
		return err_set(err, "registry sent a Bearer challenge without a realm");
	}
	if (!strcmp(out->scheme, "Bearer") && !realm_is_url(out->realm)) {
		auth_challenge_clear(out);
		return err_set(
			err, "registry sent a Bearer challenge whose realm is not an http(s) URL");
	}
	return 0;
}

/* Overwrites a JSON string value in place (jansson keeps its own copy of a secret). */
static void wipe_json_string(json_t *v)
{
	if (json_is_string(v))
		explicit_bzero((char *)json_string_value(v), json_string_length(v));
}

int auth_token_header(const char *body, size_t len, buf_t *out)
{
	json_t *j = json_loadb(body ? body : "", len, 0, NULL);
	const char *tok = json_string_value(json_object_get(j, "token"));
	int rc = -1;
	if (!tok || !*tok)
		tok = json_string_value(json_object_get(j, "access_token"));
	/* the token becomes a header value: no CR/LF (or anything else) that would start another */
	if (tok && visible_ascii(tok) && strlen(tok) <= AUTH_TOKEN_MAX_BYTES) {
		auth_buf_wipe(out);
		buf_addf(out, "Bearer %s", tok);
		rc = 0;
	}
	wipe_json_string(json_object_get(j, "token"));
	wipe_json_string(json_object_get(j, "access_token"));
	wipe_json_string(json_object_get(j, "refresh_token"));
	json_decref(j);
	return rc;
}

void auth_challenge_clear(auth_challenge_t *c)
{
	if (!c)
		return;
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	memset(c, 0, sizeof *c);
}

void auth_basic_value(const auth_creds_t *c, buf_t *out)
{
	buf_t pair = BUF_INIT;
	buf_addf(&pair, "%s:%s", c->user ? c->user : "", c->secret ? c->secret : "");
	size_t enc_len = 4 * ((pair.len + 2) / 3) + 1;
	unsigned char *enc = xmalloc(enc_len);
	EVP_EncodeBlock(enc, (const unsigned char *)pair.data, (int)pair.len);
	buf_reset(out);
	buf_addf(out, "Basic %s", (char *)enc);
	explicit_bzero(enc, enc_len);
	free(enc);
	auth_buf_wipe(&pair);
}

/* auth.h — registry credentials and challenges. Where credentials come from, first match wins:
 * --creds USER:PASS, then $IMGBUILD_REGISTRY_USER + $IMGBUILD_REGISTRY_PASSWORD (for CI), then
 * Docker's config ($DOCKER_CONFIG/config.json, else ~/.docker/config.json): `credHelpers`
 * for the registry, its `auths` entry ("auth" base64 or username/password, "identitytoken"),
 * then `credsStore`. An identity token (also a helper's answer with Username "<token>") is
 * traded at the token endpoint as an OAuth2 refresh token instead of sending the password.
 * Helpers are run as `docker-credential-NAME get` (Docker's protocol). Secrets live only in
 * auth_creds_t, are wiped on clear, and never go into error messages. */
#ifndef IMGBUILD_AUTH_H
#define IMGBUILD_AUTH_H

#include "buf.h"
#include "err.h"

typedef struct auth_creds {
	char *user; /* NULL when none found */
	char *secret;
	char *identity_token; /* OAuth2 refresh token for the token endpoint, or NULL */
	char *source;         /* set by auth_lookup, for messages (no secret): where the credentials
				 came from ("--creds", "$IMGBUILD_REGISTRY_USER/_PASSWORD", "PATH
				 auths[\"host\"]", "PATH credHelpers (docker-credential-X)", "PATH
				 credsStore (...)"), or with user NULL where none was found */
} auth_creds_t;

typedef struct auth_source {
	const char *creds;             /* "USER:PASS" from --creds, or NULL */
	const char *docker_config_dir; /* NULL = $DOCKER_CONFIG, else ~/.docker */
} auth_source_t;

/* WWW-Authenticate, parsed: scheme "Bearer" or "Basic" plus the parameters we use. */
typedef struct auth_challenge {
	char *scheme;
	char *realm;
	char *service;
	char *scope;
} auth_challenge_t;

/* Finds credentials for registry ("host[:port]"; docker.io is looked up as Docker's
 * "https://index.docker.io/v1/"). No credentials anywhere is success with out->user NULL.
 * -1 for a malformed config file or a failing helper (message names the file or helper). */
int auth_lookup(const auth_source_t *src, const char *registry, auth_creds_t *out, err_t *err);
void auth_creds_clear(auth_creds_t *c); /* wipes and frees */

/* Parses one WWW-Authenticate value. -1 (err says why, quoting at most the scheme) if it is
 * not a Basic or Bearer challenge. Fields owned by out; release with auth_challenge_clear. */
int auth_challenge_parse(const char *header, auth_challenge_t *out, err_t *err);
void auth_challenge_clear(auth_challenge_t *c);

/* Reads a token endpoint's answer (distribution's docs/spec/auth/token.md and oauth.md: a JSON
 * object with a string "token" or "access_token") into out as "Bearer <token>" (out is wiped
 * and replaced). -1, out untouched, when there is no usable token: not JSON, no such string,
 * empty, longer than 64 KiB, or holding anything but visible ASCII (a CR/LF would smuggle a
 * header into every later request). jansson's copies of the tokens are wiped. */
int auth_token_header(const char *body, size_t len, buf_t *out);

/* "Basic base64(user:secret)" into out (replacing it). The caller wipes out after use. */
void auth_basic_value(const auth_creds_t *c, buf_t *out);
/* Overwrites and releases a buffer that held a secret. */
void auth_buf_wipe(buf_t *b);

#endif

/* fuzz_auth.c — what a registry and a Docker config can feed oci/auth.c. The first byte
 * picks the reader: 'c' the Docker config (config.json: auths, credHelpers, credsStore,
 * identity tokens), 'w' a WWW-Authenticate challenge, 't' a token endpoint's answer; any other
 * byte picks by its value. Credential helpers are never run: PATH is emptied at start-up.
 * Properties: a Bearer challenge always has an http(s) realm of visible ASCII; a token header
 * is "Bearer " plus visible ASCII; found credentials have a user and a secret. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "fsutil.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("PATH", "/nonexistent-imgbuild-fuzz", 1);
	unsetenv("IMGBUILD_REGISTRY_USER");
	unsetenv("IMGBUILD_REGISTRY_PASSWORD");
	unsetenv("DOCKER_CONFIG");
	return 0;
}

static void is_visible(const char *s, const char *what)
{
	for (; *s; s++)
		FUZZ_ASSERT(*s > 0x20 && *s < 0x7f, "%s holds byte 0x%02x", what,
			    (unsigned char)*s);
}

static void docker_config(const uint8_t *data, size_t size)
{
	static const char *const registries[] = {"registry.example.com", "docker.io",
						 "localhost:5000"};
	buf_t dir = BUF_INIT, path = BUF_INIT;
	err_t err = ERR_INIT;
	buf_setstr(&dir, fuzz_scratch());
	buf_addpath(&dir, "docker");
	FUZZ_ASSERT(fs_mkdir_p(dir.data, &err) == 0, "%s", err_msg(&err));
	fuzz_write_file("docker/config.json", data, size, &path);
	auth_source_t src = {.docker_config_dir = dir.data};
	for (size_t i = 0; i < sizeof registries / sizeof registries[0]; i++) {
		auth_creds_t c;
		if (auth_lookup(&src, registries[i], &c, &err) != 0) {
			fuzz_check_message(&err, path.data);
			err_clear(&err);
			continue;
		}
		FUZZ_ASSERT(!c.user || c.secret, "a user without a secret");
		auth_creds_clear(&c);
	}
	buf_free(&dir);
	buf_free(&path);
}

static void challenge(const char *text)
{
	auth_challenge_t c;
	err_t err = ERR_INIT;
	if (auth_challenge_parse(text, &c, &err) != 0) {
		fuzz_check_message(&err, NULL);
		err_clear(&err);
		return;
	}
	FUZZ_ASSERT(!strcmp(c.scheme, "Basic") || !strcmp(c.scheme, "Bearer"), "scheme %s",
		    c.scheme);
	if (!strcmp(c.scheme, "Bearer")) {
		FUZZ_ASSERT(c.realm && (!strncmp(c.realm, "https://", 8) ||
					!strncmp(c.realm, "http://", 7)),
			    "Bearer realm %s", c.realm ? c.realm : "(none)");
		is_visible(c.realm, "realm");
	}
	FUZZ_ASSERT(!c.service || *c.service, "empty service kept");
	auth_challenge_clear(&c);
}

static void token(const uint8_t *data, size_t size)
{
	buf_t h = BUF_INIT;
	if (auth_token_header((const char *)data, size, &h) == 0) {
		FUZZ_ASSERT(!strncmp(h.data, "Bearer ", 7), "header %s", h.data);
		is_visible(h.data + 7, "token");
	}
	auth_buf_wipe(&h);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char mode = fuzz_pick(data[0], "cwt");
	if (mode == 'c') {
		docker_config(data + 1, size - 1);
	} else if (mode == 'w') {
		char *text = fuzz_cstr(data + 1, size - 1);
		challenge(text);
		free(text);
	} else {
		token(data + 1, size - 1);
	}
	return 0;
}

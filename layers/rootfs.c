/* rootfs.c — the root filesystem layer (see rootfs.h, docs/base-images.md). The plan is a list
 * of leaves (files, the CA symlink, /tmp, /root, the home directory); each leaf the base image
 * has no slot for is added with the parent directories the base lacks, then the entries are
 * sorted by name (docs/layer-format.md, "Root filesystem layer") and written from memory
 * through layer_mem.c. The file contents depend only on --user, the prefix and whether the
 * environment holds ca-certificates. */
#include "rootfs.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "layer_int.h"
#include "xalloc.h"

#define NAME_MAX_BYTES 32 /* useradd's limit on a user name */

static const char NSSWITCH_CONF[] =
	"# written by imgbuild: the base image had no /etc/nsswitch.conf (docs/base-images.md)\n"
	"passwd:         files\n"
	"group:          files\n"
	"shadow:         files\n"
	"hosts:          files dns\n"
	"networks:       files\n"
	"protocols:      files\n"
	"services:       files\n";

struct rootfs {
	layer_mem_entry_t *v; /* names, data and targets owned */
	size_t n, cap;
	buf_t summary;
	char *config_user;
};

/* Decimal id of len bytes: digits only, at most ROOTFS_ID_MAX. */
static int parse_id(const char *s, size_t len, unsigned *out)
{
	unsigned long long v = 0;
	if (len == 0 || len > 10)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > ROOTFS_ID_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Portable user names as Debian's adduser and useradd accept them; nothing that could break
 * a passwd line (':' or a newline) gets through. */
static int is_valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > NAME_MAX_BYTES || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return 0;
	return 1;
}

/* Sets err with ERR_HINT_USER_SPEC (the CLI names its flag). Returns -1. */
static int user_spec_error(err_t *err, const char *fmt, ...) ERR_PRINTF(2, 3);
static int user_spec_error(err_t *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_setv(err, fmt, ap);
	va_end(ap);
	return err_set_hint(err, ERR_HINT_USER_SPEC);
}

int rootfs_user_parse(const char *spec, rootfs_user_t *out, err_t *err)
{
	const char *colon = spec ? strchr(spec, ':') : NULL;
	size_t uid_len = colon ? (size_t)(colon - spec) : (spec ? strlen(spec) : 0);
	memset(out, 0, sizeof *out);
	if (spec && parse_id(spec, uid_len, &out->uid) == 0) {
		out->gid = out->uid;
		if (colon && parse_id(colon + 1, strlen(colon + 1), &out->gid) != 0)
			return user_spec_error(err,
					       "image user '%s': the group after ':' must be a "
					       "number from 0 to %u",
					       spec, ROOTFS_ID_MAX);
		out->name = xstrdup(out->uid == 0 ? "root" : "user");
		return 0;
	}
	if (!spec || colon || !is_valid_name(spec))
		return user_spec_error(
			err,
			"image user '%s': give UID, UID:GID (numbers from 0 to %u) "
			"or a user NAME (lower-case letters, digits, '_' and '-', at "
			"most %d bytes)",
			spec ? spec : "", ROOTFS_ID_MAX, NAME_MAX_BYTES);
	out->is_named = 1;
	out->uid = out->gid = strcmp(spec, "root") ? ROOTFS_NAMED_UID : 0;
	out->name = xstrdup(spec);
	return 0;
}

void rootfs_user_clear(rootfs_user_t *u)
{
	free(u->name);
	memset(u, 0, sizeof *u);
}

void rootfs_free(rootfs_t *rf)
{
	if (!rf)
		return;
	for (size_t i = 0; i < rf->n; i++) {
		free((char *)rf->v[i].name);
		free((char *)rf->v[i].data);
		free((char *)rf->v[i].link_target);
	}
	free(rf->v);
	buf_free(&rf->summary);
	free(rf->config_user);
	free(rf);
}

size_t rootfs_entry_count(const rootfs_t *rf)
{
	return rf->n;
}

const char *rootfs_summary(const rootfs_t *rf)
{
	return buf_cstr(&rf->summary);
}

const char *rootfs_config_user(const rootfs_t *rf)
{
	return rf->config_user;
}

/* What the base image has at path, for a layer that must never replace or write through
 * it: FREE (nothing there, nor at any parent), DIR (a directory: the layer may put things in
 * it but not state it again), TAKEN (a file, a symlink, or a parent that is not a plain
 * directory). */
typedef enum { SLOT_FREE, SLOT_DIR, SLOT_TAKEN } slot_t;

static slot_t base_slot(const basefs_t *base, const char *path)
{
	buf_t part = BUF_INIT;
	slot_t slot = SLOT_DIR;
	if (!base)
		return SLOT_FREE;
	for (const char *p = path; slot == SLOT_DIR; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		buf_reset(&part);
		buf_add(&part, path, (size_t)(p - path));
		basefs_kind_t kind = basefs_lookup(base, part.data, 0, NULL);
		slot = kind == BASEFS_NONE ? SLOT_FREE : kind == BASEFS_DIR ? SLOT_DIR : SLOT_TAKEN;
		if (*p == '\0')
			break;
	}
	buf_free(&part);
	return slot;
}

static int has_entry(const rootfs_t *rf, const char *name)
{
	for (size_t i = 0; i < rf->n; i++)
		if (!strcmp(rf->v[i].name, name))
			return 1;
	return 0;
}

static void add_entry(rootfs_t *rf, const char *name, mode_t mode, const rootfs_user_t *owner,
		      const char *data, const char *link_target)
{
	if (rf->n == rf->cap) {
		rf->cap = rf->cap ? rf->cap * 2 : 16;
		rf->v = xrealloc(rf->v, rf->cap * sizeof *rf->v);
	}
	rf->v[rf->n++] =
		(layer_mem_entry_t){xstrdup(name),          mode,          owner ? owner->uid : 0,
				    owner ? owner->gid : 0, xstrdup(data), data ? strlen(data) : 0,
				    xstrdup(link_target)};
}

/* Plans one leaf and the parent directories the base lacks (root-owned, 0755). 1 when
 * planned, 0 when the base has something there already. */
static int plan_leaf(rootfs_t *rf, const basefs_t *base, const char *name, mode_t mode,
		     const rootfs_user_t *owner, const char *data, const char *link_target)
{
	buf_t dir = BUF_INIT;
	if (base_slot(base, name) != SLOT_FREE)
		return 0;
	for (const char *p = strchr(name, '/'); p; p = strchr(p + 1, '/')) {
		buf_reset(&dir);
		buf_add(&dir, name, (size_t)(p - name));
		if (!has_entry(rf, dir.data) && base_slot(base, dir.data) == SLOT_FREE)
			add_entry(rf, dir.data, AE_IFDIR | 0755, NULL, NULL, NULL);
	}
	buf_free(&dir);
	add_entry(rf, name, mode, owner, data, link_target);
	return 1;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const layer_mem_entry_t *)a)->name, ((const layer_mem_entry_t *)b)->name);
}

static int has_package(const rootfs_opts_t *o, const char *name)
{
	for (size_t i = 0; i < o->n_pkgs; i++)
		if (!strcmp(o->pkgs[i]->name, name))
			return 1;
	return 0;
}

/* passwd and group: root, then the account when it is not root. A numeric account's home is
 * "/" (nothing is created for it); a named one's is /home/NAME. */
static void account_files(const rootfs_user_t *u, buf_t *passwd, buf_t *group, buf_t *home)
{
	buf_setstr(passwd, "root:x:0:0:root:/root:/bin/sh\n");
	buf_setstr(group, "root:x:0:\n");
	buf_setstr(home, "");
	if (!u || u->uid == 0) {
		if (u && u->gid != 0)
			buf_addf(group, "user:x:%u:\n", u->gid);
		return;
	}
	if (u->is_named)
		buf_addf(home, "home/%s", u->name);
	buf_addf(passwd, "%s:x:%u:%u:%s:/%s:/bin/sh\n", u->name, u->uid, u->gid, u->name,
		 home->data);
	if (u->gid != 0)
		buf_addf(group, "%s:x:%u:\n", u->name, u->gid);
}

/* config User: numeric unless the base's own passwd has to resolve a NAME. */
static void set_config_user(rootfs_t *rf, const rootfs_opts_t *o, const rootfs_user_t *u,
			    int is_passwd_ours)
{
	buf_t b = BUF_INIT;
	if (u->is_named && u->uid != 0 && !is_passwd_ours) {
		rf->config_user = xstrdup(u->name);
		log_msgf(o->log, o->log_ud,
			 "note: image user %s: the base image has its own /etc/passwd, which "
			 "imgbuild leaves alone, so %s must be defined there and the image's User "
			 "stays a name (Kubernetes' runAsNonRoot needs a numeric UID:GID user)",
			 u->name, u->name);
		return;
	}
	buf_addf(&b, "%u:%u", u->uid, u->gid);
	rf->config_user = buf_detach(&b);
}

/* Every leaf the base may lack, in any order (sorted afterwards). */
static void plan_leaves(rootfs_t *rf, const rootfs_opts_t *o, const rootfs_user_t *u)
{
	buf_t passwd = BUF_INIT, group = BUF_INIT, home = BUF_INIT, ca = BUF_INIT;
	int is_passwd_ours = base_slot(o->base, "etc/passwd") == SLOT_FREE;
	/* a NAME only this layer's passwd would define gets no group line without it */
	account_files(u && (is_passwd_ours || !u->is_named) ? u : NULL, &passwd, &group, &home);
	plan_leaf(rf, o->base, "etc/passwd", AE_IFREG | 0644, NULL, passwd.data, NULL);
	plan_leaf(rf, o->base, "etc/group", AE_IFREG | 0644, NULL, group.data, NULL);
	plan_leaf(rf, o->base, "etc/nsswitch.conf", AE_IFREG | 0644, NULL, NSSWITCH_CONF, NULL);
	if (o->image_prefix && has_package(o, "ca-certificates")) {
		/* conda-forge's ca-certificates installs the Mozilla bundle as ssl/cacert.pem */
		buf_addstr(&ca, o->image_prefix);
		buf_addpath(&ca, "ssl/cacert.pem");
		plan_leaf(rf, o->base, "etc/ssl/certs/ca-certificates.crt", AE_IFLNK | 0777, NULL,
			  NULL, ca.data);
	}
	plan_leaf(rf, o->base, "root", AE_IFDIR | 0700, NULL, NULL, NULL);
	plan_leaf(rf, o->base, "tmp", AE_IFDIR | 01777, NULL, NULL, NULL);
	if (is_passwd_ours && home.len)
		plan_leaf(rf, o->base, home.data, AE_IFDIR | 0755, u, NULL, NULL);
	if (u)
		set_config_user(rf, o, u, is_passwd_ours);
	buf_free(&passwd);
	buf_free(&group);
	buf_free(&home);
	buf_free(&ca);
}

rootfs_t *rootfs_plan(const rootfs_opts_t *opts, err_t *err)
{
	rootfs_user_t user = {0};
	if (opts->user && rootfs_user_parse(opts->user, &user, err))
		return NULL;
	rootfs_t *rf = xcalloc(1, sizeof *rf);
	plan_leaves(rf, opts, opts->user ? &user : NULL);
	/* docs/layer-format.md, "Root filesystem layer": bytewise strcmp order of the names */
	if (rf->n > 1)
		qsort(rf->v, rf->n, sizeof *rf->v, cmp_entry);
	for (size_t i = 0; i < rf->n; i++)
		buf_addf(&rf->summary, "%s%s%s", i ? " " : "", rf->v[i].name,
			 (rf->v[i].mode & AE_IFMT) == AE_IFDIR ? "/" : "");
	rootfs_user_clear(&user);
	return rf;
}

int rootfs_build(const rootfs_t *rf, const layer_opts_t *opts, const char *blobs_dir,
		 layer_desc_t *out, err_t *err)
{
	layer_opts_t o = opts ? *opts : (layer_opts_t){.compression = LAYER_GZIP};
	o.progress_item = "rootfs"; /* its "compress" progress, named as its layer group */
	if (layer_build_mem(rf->v, rf->n, &o, blobs_dir, out, err))
		return err_prefix(err, "root filesystem layer");
	return 0;
}

/* test_image.c — OCI assembly: canonical JSON (sorted, compact), config/manifest/index shape,
 * reproducible digests, acceptance by umoci / oci-image-tool / skopeo (skipped when absent),
 * and base images made with umoci: layers carried, config carried, corruption rejected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base.h"
#include "buf.h"
#include "digest.h"
#include "fsutil.h"
#include "image.h"
#include "layer.h"
#include "layout.h"
#include "mklayout.h"
#include "testutil.h"

typedef struct fixture {
	buf_t root;
} fixture_t;

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof *f);
	err_t err = ERR_INIT;
	if (fs_mkdtemp("/tmp", "test_image.", &f->root, &err))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;
	err_t err = ERR_INIT;
	fs_rm_rf(f->root.data, &err);
	buf_free(&f->root);
	free(f);
	return 0;
}

static void write_file(const char *path, const char *content, mode_t mode)
{
	testutil_write_text(path, content);
	assert_int_equal(chmod(path, mode), 0);
}

/* Runs a shell command, output into root/cmd.log; fails the test with the log on error. */
static void run_ok(const fixture_t *f, const char *fmt, ...)
{
	buf_t cmd = BUF_INIT, log = BUF_INIT, out = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	buf_addf(&log, "%s/cmd.log", f->root.data);
	buf_addf(&cmd, " >%s 2>&1", log.data);
	if (system(cmd.data) != 0) {
		err_t err = ERR_INIT;
		buf_read_file(&out, log.data, 1 << 20, &err);
		fail_msg("command failed: %s\n%s", cmd.data, buf_cstr(&out));
	}
	buf_free(&cmd);
	buf_free(&log);
	buf_free(&out);
}

static void make_layer(const fixture_t *f, const char *tree, const char *rel, const char *content,
		       const char *blobs, layer_desc_t *d)
{
	char *stage = testutil_join(f->root.data, tree), *file = testutil_join(stage, rel);
	write_file(file, content, 0755);
	const char *dirs[] = {stage};
	layer_opts_t o = {.compression = LAYER_GZIP};
	err_t err = ERR_INIT;
	if (layer_build(dirs, 1, "/opt/conda/envs/demo", &o, blobs, d, &err))
		fail_msg("layer_build: %s", err_msg(&err));
	free(stage);
	free(file);
}

/* index.json naming the manifest by each tag, as the pipeline writes it. */
static int write_index(oci_layout_t *l, const char *digest, long long size, const char *const *tags,
		       size_t n_tags, err_t *err)
{
	oci_desc_t d = {.media_type = OCI_MT_MANIFEST, .digest = digest, .size = size};
	return oci_layout_set_refs(l, &d, tags, n_tags, err) || oci_layout_write_index(l, err) ? -1
											       : 0;
}

/* Opens the base image dir:tag for img's platform (linux/arch) and loads it into the layout
 * out_dir (created), as the pipeline does. */
static int load_base(oci_image_t *img, const char *arch, const char *dir, const char *tag,
		     const char *out_dir, err_t *err)
{
	oci_base_t *base = oci_base_open(dir, tag, "linux", arch, err);
	oci_layout_t *out = base ? oci_layout_create(out_dir, err) : NULL;
	int rc = out ? oci_image_load_base(img, base, out, err) : -1;
	oci_layout_free(out);
	oci_base_free(base);
	return rc;
}

/* Builds a 2-layer image into layout (tag "demo"); returns the manifest digest. */
static char *build_image(const fixture_t *f, const char *layout, const char *suffix)
{
	buf_t blobs = BUF_INIT, mdigest = BUF_INIT, t1 = BUF_INIT, t2 = BUF_INIT;
	err_t err = ERR_INIT;
	oci_layout_t *out = oci_layout_create(layout, &err);
	assert_non_null(out);
	buf_setstr(&blobs, oci_layout_blobs_dir(out));
	buf_addf(&t1, "tree1%s", suffix);
	buf_addf(&t2, "tree2%s", suffix);
	layer_desc_t l1, l2;
	make_layer(f, t1.data, "bin/hello", "#!/bin/sh\necho hello\n", blobs.data, &l1);
	make_layer(f, t2.data, "share/data.txt", "layer two\n", blobs.data, &l2);
	oci_image_t *img = oci_image_new("linux", "amd64");
	assert_non_null(img);
	oci_image_set_env(img, "PATH", "/opt/conda/envs/demo/bin:/usr/bin");
	oci_image_set_env(img, "LANG", "C.UTF-8");
	oci_image_set_env(img, "PATH", "/opt/conda/envs/demo/bin:/usr/bin:/bin");
	const char *cmd[] = {"/opt/conda/envs/demo/bin/hello"};
	oci_image_set_cmd(img, cmd, 1);
	oci_image_set_label(img, "org.opencontainers.image.title", "demo");
	oci_image_set_created(img, 0);
	oci_image_add_layer(img, l1.digest, l1.diff_id, l1.size, l1.media_type,
			    "imgbuild layer base");
	oci_image_add_layer(img, l2.digest, l2.diff_id, l2.size, l2.media_type,
			    "imgbuild layer rest");
	long long msize = 0;
	if (oci_image_write_blobs(img, out, &mdigest, &msize, &err))
		fail_msg("write_blobs: %s", err_msg(&err));
	const char *tags[] = {"demo"};
	if (write_index(out, mdigest.data, msize, tags, 1, &err))
		fail_msg("write_index: %s", err_msg(&err));
	oci_layout_free(out);
	oci_image_free(img);
	buf_free(&blobs);
	buf_free(&t1);
	buf_free(&t2);
	return buf_detach(&mdigest);
}

static json_t *load_json(const char *path)
{
	json_error_t je;
	json_t *v = json_load_file(path, 0, &je);
	if (!v)
		fail_msg("%s: %s", path, je.text);
	return v;
}

static json_t *load_blob(const char *layout, const char *digest)
{
	buf_t p = BUF_INIT;
	buf_addf(&p, "%s/blobs/sha256/%s", layout, digest_oci_hex(digest));
	json_t *v = load_json(p.data);
	buf_free(&p);
	return v;
}

/* ---- tests -------------------------------------------------------------------------- */

static void test_layout_json_is_canonical_and_complete(void **state)
{
	fixture_t *f = *state;
	char *layout = testutil_join(f->root.data, "layout");
	char *mdigest = build_image(f, layout, "");
	buf_t b = BUF_INIT;
	err_t err = ERR_INIT;
	char *p = testutil_join(layout, "oci-layout");
	buf_reset(&b);
	assert_int_equal(buf_read_file(&b, p, 1 << 20, &err), 0);
	assert_string_equal(b.data, "{\"imageLayoutVersion\":\"1.0.0\"}");
	free(p);
	p = testutil_join(layout, "index.json");
	buf_reset(&b);
	assert_int_equal(buf_read_file(&b, p, 1 << 20, &err), 0);
	buf_t want = BUF_INIT;
	json_t *manifest = load_blob(layout, mdigest);
	free(p);
	p = testutil_join(layout, "blobs/sha256");
	buf_t mpath = BUF_INIT;
	buf_addf(&mpath, "%s/%s", p, digest_oci_hex(mdigest));
	struct stat st;
	assert_int_equal(stat(mpath.data, &st), 0);
	buf_addf(
		&want,
		"{\"manifests\":[{\"annotations\":{\"org.opencontainers.image.ref.name\":\"demo\"},"
		"\"digest\":\"%s\",\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"size\":%lld}],\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
		"\"schemaVersion\":2}",
		mdigest, (long long)st.st_size);
	assert_string_equal(b.data, want.data);

	assert_int_equal(json_integer_value(json_object_get(manifest, "schemaVersion")), 2);
	assert_string_equal(json_string_value(json_object_get(manifest, "mediaType")),
			    "application/vnd.oci.image.manifest.v1+json");
	json_t *cdesc = json_object_get(manifest, "config");
	assert_string_equal(json_string_value(json_object_get(cdesc, "mediaType")),
			    "application/vnd.oci.image.config.v1+json");
	json_t *layers = json_object_get(manifest, "layers");
	assert_int_equal(json_array_size(layers), 2);
	json_t *cfg = load_blob(layout, json_string_value(json_object_get(cdesc, "digest")));
	assert_string_equal(json_string_value(json_object_get(cfg, "created")),
			    "1970-01-01T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(cfg, "architecture")), "amd64");
	assert_string_equal(json_string_value(json_object_get(cfg, "os")), "linux");
	json_t *cc = json_object_get(cfg, "config");
	json_t *env = json_object_get(cc, "Env");
	assert_int_equal(json_array_size(env), 2);
	/* replaced in place: PATH keeps first position */
	assert_string_equal(json_string_value(json_array_get(env, 0)),
			    "PATH=/opt/conda/envs/demo/bin:/usr/bin:/bin");
	assert_string_equal(json_string_value(json_array_get(env, 1)), "LANG=C.UTF-8");
	assert_string_equal(json_string_value(json_array_get(json_object_get(cc, "Cmd"), 0)),
			    "/opt/conda/envs/demo/bin/hello");
	assert_string_equal(json_string_value(json_object_get(json_object_get(cc, "Labels"),
							      "org.opencontainers.image.title")),
			    "demo");
	json_t *rootfs = json_object_get(cfg, "rootfs");
	assert_string_equal(json_string_value(json_object_get(rootfs, "type")), "layers");
	assert_int_equal(json_array_size(json_object_get(rootfs, "diff_ids")), 2);
	json_t *hist = json_object_get(cfg, "history");
	assert_int_equal(json_array_size(hist), 2);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(hist, 1), "created_by")),
		"imgbuild layer rest");
	assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 1), "created")),
			    "1970-01-01T00:00:00Z");
	/* config blob bytes are compact with sorted keys */
	buf_t cpath = BUF_INIT;
	buf_addf(&cpath, "%s/%s", p,
		 digest_oci_hex(json_string_value(json_object_get(cdesc, "digest"))));
	buf_reset(&b);
	assert_int_equal(buf_read_file(&b, cpath.data, 1 << 20, &err), 0);
	assert_int_equal(strncmp(b.data, "{\"architecture\":\"amd64\",\"config\":{\"Cmd\":", 40),
			 0);
	assert_null(strchr(b.data, '\n'));
	assert_null(strstr(b.data, ", "));
	json_decref(cfg);
	json_decref(manifest);
	buf_free(&cpath);
	buf_free(&mpath);
	buf_free(&want);
	buf_free(&b);
	free(p);
	free(mdigest);
	free(layout);
}

/* Entrypoint, WorkingDir, User replace what a base set, Cmd NULL removes it, annotations go
 * to the manifest (never the config). */
static void test_config_setters_and_manifest_annotations(void **state)
{
	fixture_t *f = *state;
	char *layout = testutil_join(f->root.data, "setters");
	buf_t digest = BUF_INIT;
	err_t err = ERR_INIT;
	long long size = 0;
	oci_layout_t *out = oci_layout_create(layout, &err);
	oci_image_t *img = oci_image_new("linux", "amd64");
	const char *ep[] = {"/bin/sh", "-c"}, *cmd[] = {"true"};
	assert_non_null(out);
	oci_image_set_cmd(img, cmd, 1);
	oci_image_set_cmd(img, NULL, 0);
	oci_image_set_entrypoint(img, ep, 2);
	oci_image_set_workdir(img, "/w");
	oci_image_set_user(img, "1000:1000");
	oci_image_set_annotation(img, "a.b", "c");
	oci_image_set_annotation(img, "a.b", "d");
	assert_int_equal(oci_image_write_blobs(img, out, &digest, &size, &err), 0);
	json_t *m = load_blob(layout, digest.data);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(m, "annotations"), "a.b")), "d");
	json_t *cfg = load_blob(
		layout, json_string_value(json_object_get(json_object_get(m, "config"), "digest")));
	json_t *cc = json_object_get(cfg, "config");
	assert_null(json_object_get(cc, "Cmd"));
	assert_int_equal(json_array_size(json_object_get(cc, "Entrypoint")), 2);
	assert_string_equal(json_string_value(json_object_get(cc, "WorkingDir")), "/w");
	assert_string_equal(json_string_value(json_object_get(cc, "User")), "1000:1000");
	assert_null(json_object_get(cfg, "annotations"));
	json_decref(cfg);
	json_decref(m);
	oci_image_free(img);
	oci_layout_free(out);
	buf_free(&digest);
	free(layout);
}

/* Without annotations the index bytes are oci_layout_write_image_index's; with them, the
 * index carries its own. */
static void test_image_index_annotations(void **state)
{
	fixture_t *f = *state;
	char *layout = testutil_join(f->root.data, "index");
	err_t err = ERR_INIT;
	char d1[DIGEST_OCI_MAX], d2[DIGEST_OCI_MAX], d3[DIGEST_OCI_MAX];
	long long s1 = 0, s2 = 0, s3 = 0;
	const char *keys[] = {"org.example.k"}, *values[] = {"v"};
	oci_desc_t e = {.media_type = OCI_MT_MANIFEST,
			.digest =
				"sha256:"
				"0000000000000000000000000000000000000000000000000000000000000000",
			.size = 1,
			.os = "linux",
			.arch = "arm64"};
	oci_layout_t *l = oci_layout_create(layout, &err);
	assert_non_null(l);
	assert_int_equal(oci_layout_write_image_index(l, &e, 1, d1, &s1, &err), 0);
	assert_int_equal(oci_image_write_index(l, &e, 1, NULL, NULL, 0, d2, &s2, &err), 0);
	assert_string_equal(d1, d2);
	assert_int_equal(oci_image_write_index(l, &e, 1, keys, values, 1, d3, &s3, &err), 0);
	json_t *idx = load_blob(layout, d3);
	assert_string_equal(json_string_value(json_object_get(json_object_get(idx, "annotations"),
							      "org.example.k")),
			    "v");
	assert_int_equal(json_array_size(json_object_get(idx, "manifests")), 1);
	json_decref(idx);
	oci_layout_free(l);
	free(layout);
}

static void test_same_image_built_twice_has_same_manifest_digest(void **state)
{
	fixture_t *f = *state;
	char *a = testutil_join(f->root.data, "la"), *b = testutil_join(f->root.data, "lb");
	char *da = build_image(f, a, "-a"), *db = build_image(f, b, "-b");
	assert_string_equal(da, db);
	free(da);
	free(db);
	free(a);
	free(b);
}

static void test_image_passes_umoci_oci_image_tool_and_skopeo(void **state)
{
	fixture_t *f = *state;
	if (!testutil_have_tool("umoci") || !testutil_have_tool("oci-image-tool") ||
	    !testutil_have_tool("skopeo"))
		skip();
	char *layout = testutil_join(f->root.data, "layout"),
	     *bundle = testutil_join(f->root.data, "bundle");
	char *mdigest = build_image(f, layout, "");
	run_ok(f, "oci-image-tool validate --type image --ref name=demo %s", layout);
	run_ok(f, "skopeo inspect oci:%s:demo", layout);
	run_ok(f, "umoci unpack %s --image %s:demo %s", geteuid() ? "--rootless" : "", layout,
	       bundle);
	buf_t b = BUF_INIT;
	err_t err = ERR_INIT;
	char *hello = testutil_join(bundle, "rootfs/opt/conda/envs/demo/bin/hello");
	char *data = testutil_join(bundle, "rootfs/opt/conda/envs/demo/share/data.txt");
	buf_reset(&b);
	assert_int_equal(buf_read_file(&b, hello, 1024, &err), 0);
	assert_string_equal(b.data, "#!/bin/sh\necho hello\n");
	struct stat st;
	assert_int_equal(stat(hello, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	buf_reset(&b);
	assert_int_equal(buf_read_file(&b, data, 1024, &err), 0);
	assert_string_equal(b.data, "layer two\n");
	buf_free(&b);
	free(hello);
	free(data);
	free(mdigest);
	free(layout);
	free(bundle);
}

/* A base image made by umoci: one layer with etc/base.txt, Env FOO=bar, Cmd /bin/sh. */
static char *make_umoci_base(const fixture_t *f)
{
	char *base = testutil_join(f->root.data, "base"),
	     *bundle = testutil_join(f->root.data, "base-bundle");
	const char *rl = geteuid() ? "--rootless" : "";
	run_ok(f, "umoci init --layout %s", base);
	run_ok(f, "umoci new --image %s:base", base);
	run_ok(f, "umoci unpack %s --image %s:base %s", rl, base, bundle);
	char *file = testutil_join(bundle, "rootfs/etc/base.txt");
	write_file(file, "from base\n", 0644);
	run_ok(f, "umoci repack --image %s:base %s", base, bundle);
	run_ok(f,
	       "umoci config --image %s:base --config.env FOO=bar --config.cmd /bin/sh "
	       "--config.workingdir /srv",
	       base);
	free(file);
	free(bundle);
	return base;
}

static void test_load_base_carries_layers_and_config(void **state)
{
	fixture_t *f = *state;
	if (!testutil_have_tool("umoci"))
		skip();
	char *base = make_umoci_base(f);
	char *layout = testutil_join(f->root.data, "out"),
	     *blobs = testutil_join(layout, "blobs/sha256");
	char *bundle = testutil_join(f->root.data, "out-bundle");
	err_t err = ERR_INIT;
	oci_image_t *img = oci_image_new("linux", "amd64");
	if (load_base(img, "amd64", base, "base", layout, &err))
		fail_msg("load_base: %s", err_msg(&err));
	assert_int_equal(oci_image_layer_count(img), 1);
	assert_string_equal(oci_image_get_env(img, "FOO"), "bar");
	oci_image_set_env(img, "PATH", "/opt/conda/envs/demo/bin:/usr/bin");
	layer_desc_t l;
	make_layer(f, "mine", "bin/tool", "#!/bin/sh\n", blobs, &l);
	oci_image_add_layer(img, l.digest, l.diff_id, l.size, l.media_type, "mine");
	buf_t md = BUF_INIT;
	long long ms = 0;
	const char *tags[] = {"v1"};
	oci_layout_t *out = oci_layout_create(layout, &err);
	assert_int_equal(oci_image_write_blobs(img, out, &md, &ms, &err), 0);
	assert_int_equal(write_index(out, md.data, ms, tags, 1, &err), 0);
	oci_layout_free(out);
	json_t *manifest = load_blob(layout, md.data);
	json_t *cfg = load_blob(layout, json_string_value(json_object_get(
						json_object_get(manifest, "config"), "digest")));
	json_t *cc = json_object_get(cfg, "config");
	assert_string_equal(json_string_value(json_object_get(cc, "WorkingDir")), "/srv");
	assert_string_equal(json_string_value(json_array_get(json_object_get(cc, "Cmd"), 0)),
			    "/bin/sh");
	assert_int_equal(
		json_array_size(json_object_get(json_object_get(cfg, "rootfs"), "diff_ids")), 2);
	/* umoci's history entries come first, ours last */
	json_t *hist = json_object_get(cfg, "history");
	assert_true(json_array_size(hist) >= 2);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(hist, json_array_size(hist) - 1), "created_by")),
			    "mine");
	if (testutil_have_tool("oci-image-tool"))
		run_ok(f, "oci-image-tool validate --type image --ref name=v1 %s", layout);
	run_ok(f, "umoci unpack %s --image %s:v1 %s", geteuid() ? "--rootless" : "", layout,
	       bundle);
	char *from_base = testutil_join(bundle, "rootfs/etc/base.txt"),
	     *mine = testutil_join(bundle, "rootfs/opt/conda/envs/demo/bin/tool");
	assert_true(fs_exists(from_base));
	assert_true(fs_exists(mine));
	json_decref(cfg);
	json_decref(manifest);
	buf_free(&md);
	oci_image_free(img);
	free(from_base);
	free(mine);
	free(base);
	free(layout);
	free(blobs);
	free(bundle);
}

static void test_load_base_rejects_corrupt_layer_naming_digest(void **state)
{
	fixture_t *f = *state;
	if (!testutil_have_tool("umoci"))
		skip();
	char *base = make_umoci_base(f), *blobs = testutil_join(f->root.data, "out");
	/* the intact base loads */
	err_t err = ERR_INIT;
	oci_image_t *probe = oci_image_new("linux", "amd64");
	assert_int_equal(load_base(probe, "amd64", base, "base", blobs, &err), 0);
	oci_image_free(probe);
	buf_t idx = BUF_INIT;
	buf_addf(&idx, "%s/index.json", base);
	json_t *ij = load_json(idx.data);
	const char *mdig = json_string_value(
		json_object_get(json_array_get(json_object_get(ij, "manifests"), 0), "digest"));
	json_t *manifest = load_blob(base, mdig);
	const char *ldig = json_string_value(
		json_object_get(json_array_get(json_object_get(manifest, "layers"), 0), "digest"));
	buf_t lpath = BUF_INIT;
	buf_addf(&lpath, "%s/blobs/sha256/%s", base, digest_oci_hex(ldig));
	/* flip the last byte (a new inode, so the copy linked into blobs/ above is untouched) */
	buf_t bytes = BUF_INIT;
	assert_int_equal(buf_read_file(&bytes, lpath.data, 1 << 26, &err), 0);
	bytes.data[bytes.len - 1] ^= 0x55;
	assert_int_equal(fs_write_atomic(lpath.data, bytes.data, bytes.len, &err), 0);
	oci_image_t *img = oci_image_new("linux", "amd64");
	assert_int_equal(load_base(img, "amd64", base, "base", blobs, &err), -1);
	if (!strstr(err_msg(&err), ldig) || !strstr(err_msg(&err), "corrupt"))
		fail_msg("error does not name the corrupt blob %s: %s", ldig, err_msg(&err));
	err_clear(&err);
	oci_image_free(img);
	json_decref(manifest);
	json_decref(ij);
	buf_free(&idx);
	buf_free(&lpath);
	buf_free(&bytes);
	free(base);
	free(blobs);
}

static void test_load_base_rejects_other_architecture(void **state)
{
	fixture_t *f = *state;
	if (!testutil_have_tool("umoci"))
		skip();
	char *base = make_umoci_base(f), *blobs = testutil_join(f->root.data, "out");
	err_t err = ERR_INIT;
	oci_image_t *img = oci_image_new("linux", "arm64");
	assert_int_equal(load_base(img, "arm64", base, "base", blobs, &err), -1);
	assert_non_null(
		strstr(err_msg(&err),
		       "base image is linux/amd64 but the image being built is linux/arm64"));
	err_clear(&err);
	oci_image_free(img);
	free(base);
	free(blobs);
}

static void test_load_base_unknown_tag_lists_tags(void **state)
{
	fixture_t *f = *state;
	char *layout = testutil_join(f->root.data, "layout"),
	     *blobs = testutil_join(f->root.data, "b");
	char *md = build_image(f, layout, "");
	err_t err = ERR_INIT;
	oci_image_t *img = oci_image_new("linux", "amd64");
	assert_int_equal(load_base(img, "amd64", layout, "nope", blobs, &err), -1);
	assert_non_null(strstr(err_msg(&err), "no manifest tagged 'nope' (tags: demo)"));
	err_clear(&err);
	/* our own output is a valid base too */
	assert_int_equal(load_base(img, "amd64", layout, "demo", blobs, &err), 0);
	assert_int_equal(oci_image_layer_count(img), 2);
	assert_string_equal(oci_image_get_env(img, "LANG"), "C.UTF-8");
	oci_image_free(img);
	free(md);
	free(layout);
	free(blobs);
}

/* A base layout (hand-made) with two layers and the given config "history" JSON. */
static char *make_base_with_history(const fixture_t *f, const char *name, const char *history)
{
	char *dir = testutil_join(f->root.data, name);
	char *l1 = mklayout_text_blob(dir, "layer one"), *l2 = mklayout_text_blob(dir, "layer two");
	buf_t cfg = BUF_INIT, man = BUF_INIT, idx = BUF_INIT;
	buf_addf(
		&cfg,
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2023-11-14T22:13:20Z\","
		"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\",\"%s\"]}%s%s}",
		l1, l2, history ? ",\"history\":" : "", history ? history : "");
	char *cd = mklayout_text_blob(dir, cfg.data);
	buf_addf(
		&man,
		"{\"schemaVersion\":2,\"mediaType\":\"" OCI_MT_MANIFEST
		"\",\"config\":{\"mediaType\":\"" OCI_MT_CONFIG
		"\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"" OCI_MT_LAYER_GZIP
		"\",\"digest\":\"%s\",\"size\":9},{\"mediaType\":\"" OCI_MT_LAYER_GZIP
		"\",\"digest\":\"%s\",\"size\":9}]}",
		cd, cfg.len, l1, l2);
	char *md = mklayout_text_blob(dir, man.data);
	buf_addf(&idx,
		 "{\"manifests\":[{\"mediaType\":\"" OCI_MT_MANIFEST
		 "\",\"digest\":\"%s\",\"size\":%zu}]}",
		 md, man.len);
	mklayout_index(dir, idx.data);
	free(l1);
	free(l2);
	free(cd);
	free(md);
	buf_free(&cfg);
	buf_free(&man);
	buf_free(&idx);
	return dir;
}

/* The written config's history, for an image of base + one layer of ours. Caller decrefs. */
static json_t *history_on(const fixture_t *f, const char *base)
{
	char *out = testutil_join(f->root.data, "out"), *blobs = testutil_join(out, "blobs/sha256");
	err_t err = ERR_INIT;
	oci_image_t *img = oci_image_new("linux", "amd64");
	if (load_base(img, "amd64", base, NULL, out, &err))
		fail_msg("load_base: %s", err_msg(&err));
	layer_desc_t l;
	make_layer(f, "mine", "bin/tool", "#!/bin/sh\n", blobs, &l);
	oci_image_add_layer(img, l.digest, l.diff_id, l.size, l.media_type, "mine");
	oci_layout_t *lo = oci_layout_create(out, &err);
	buf_t md = BUF_INIT;
	long long ms = 0;
	assert_int_equal(oci_image_write_blobs(img, lo, &md, &ms, &err), 0);
	json_t *manifest = load_blob(out, md.data);
	json_t *cfg = load_blob(out, json_string_value(json_object_get(
					     json_object_get(manifest, "config"), "digest")));
	json_t *hist = json_incref(json_object_get(cfg, "history"));
	json_decref(cfg);
	json_decref(manifest);
	oci_layout_free(lo);
	oci_image_free(img);
	buf_free(&md);
	free(out);
	free(blobs);
	return hist;
}

static const char *created_by(json_t *hist, size_t i)
{
	return json_string_value(json_object_get(json_array_get(hist, i), "created_by"));
}

static void test_history_matches_layers_on_a_base_without_history(void **state)
{
	fixture_t *f = *state;
	char *base = make_base_with_history(f, "nohist", NULL);
	json_t *hist = history_on(f, base);
	assert_int_equal(json_array_size(hist), 3);
	assert_string_equal(created_by(hist, 0), "imgbuild: base image layer");
	assert_string_equal(created_by(hist, 1), "imgbuild: base image layer");
	assert_string_equal(json_string_value(json_object_get(json_array_get(hist, 0), "created")),
			    "2023-11-14T22:13:20Z");
	assert_string_equal(created_by(hist, 2), "mine");
	json_decref(hist);
	free(base);
}

static void test_history_of_a_base_keeps_empty_entries_and_pairs_the_rest(void **state)
{
	fixture_t *f = *state;
	/* one real entry, one empty_layer entry, then one entry too many for two layers... */
	char *base = make_base_with_history(f, "extra",
					    "[{\"created_by\":\"a\"},{\"created_by\":\"env\","
					    "\"empty_layer\":true},{\"created_by\":\"b\"},"
					    "{\"created_by\":\"c\"}]");
	json_t *hist = history_on(f, base);
	assert_int_equal(json_array_size(hist), 5);
	assert_string_equal(created_by(hist, 2), "b");
	assert_false(json_is_true(json_object_get(json_array_get(hist, 2), "empty_layer")));
	/* ...which pairs with no layer, so ours stays ours */
	assert_string_equal(created_by(hist, 3), "c");
	assert_true(json_is_true(json_object_get(json_array_get(hist, 3), "empty_layer")));
	assert_string_equal(created_by(hist, 4), "mine");
	json_decref(hist);
	/* one entry for two layers: the second layer gets one */
	char *short_base = make_base_with_history(f, "short", "[{\"created_by\":\"a\"}]");
	hist = history_on(f, short_base);
	assert_int_equal(json_array_size(hist), 3);
	assert_string_equal(created_by(hist, 0), "a");
	assert_string_equal(created_by(hist, 1), "imgbuild: base image layer");
	json_decref(hist);
	free(base);
	free(short_base);
}

/* fuzz_registry: an empty manifest blob was reported "is not JSON: wrong arguments (line -1)". */
static void test_load_base_empty_manifest_blob_has_a_real_position(void **state)
{
	fixture_t *f = *state;
	static const char empty_hex[] =
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	char *layout = testutil_join(f->root.data, "empty"),
	     *blobs = testutil_join(f->root.data, "eb");
	char *index = testutil_join(layout, "index.json"),
	     *blob = testutil_join(layout, "blobs/sha256/");
	buf_t blob_path = BUF_INIT, text = BUF_INIT;
	err_t err = ERR_INIT;
	buf_addf(&blob_path, "%s%s", blob, empty_hex);
	write_file(blob_path.data, "", 0644);
	buf_addf(&text,
		 "{\"schemaVersion\": 2, \"manifests\": [{\"mediaType\": "
		 "\"application/vnd.oci.image.manifest.v1+json\", \"digest\": \"sha256:%s\", "
		 "\"size\": 0}]}",
		 empty_hex);
	write_file(index, text.data, 0644);
	oci_image_t *img = oci_image_new("linux", "amd64");
	assert_int_equal(load_base(img, "amd64", layout, NULL, blobs, &err), -1);
	assert_non_null(strstr(err_msg(&err), empty_hex));
	assert_null(strstr(err_msg(&err), "line -1"));
	err_clear(&err);
	oci_image_free(img);
	buf_free(&blob_path);
	buf_free(&text);
	free(layout);
	free(blobs);
	free(index);
	free(blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_setters_and_manifest_annotations, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_image_index_annotations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_json_is_canonical_and_complete, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_same_image_built_twice_has_same_manifest_digest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_image_passes_umoci_oci_image_tool_and_skopeo,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_base_carries_layers_and_config, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_load_base_rejects_corrupt_layer_naming_digest,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_base_rejects_other_architecture, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_load_base_unknown_tag_lists_tags, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_history_matches_layers_on_a_base_without_history, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_history_of_a_base_keeps_empty_entries_and_pairs_the_rest, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_load_base_empty_manifest_blob_has_a_real_position, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

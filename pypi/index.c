/* index.c — the index client (see index.h): sources, projects and links. A project is
 * looked up once on each index (<root>/<normalised name>/, PEP 503) and in each find-links
 * source (a file:// directory is listed, sorted by name; an HTML page is fetched once and its
 * links kept for every project). Every file is owned by the index in one list; projects hold
 * pointers into it. */
#include "index_int.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "digest.h"
#include "pypi_int.h"
#include "pyname.h"
#include "pyurl.h"
#include "xalloc.h"

typedef struct project {
	char *key;
	const pypi_file_t **files;
	size_t n;
} project_t;

typedef struct links_page {
	const pypi_file_t **files; /* every link of an HTML find-links page */
	size_t n;
	int loaded;
} links_page_t;

struct pypi_index {
	pypi_index_opts_t o; /* its URL lists point into roots and links */
	pypi_strv_t roots, links;
	pypi_file_t **all; /* owned */
	size_t n_all;
	project_t *projects;
	size_t n_projects;
	links_page_t *pages; /* one per find-links source */
};

const pypi_index_opts_t *index_opts(const pypi_index_t *ix)
{
	return &ix->o;
}

/* ------------------------------------------------------------------ files */

static void file_free(pypi_file_t *f)
{
	free(f->filename);
	free(f->url);
	free(f->source);
	pypi_distfile_free(f->dist);
	pep440_spec_free(f->requires_python);
	free(f->yank_reason);
	free(f);
}

static void copy_hex(char out[65], const char *hex)
{
	out[0] = 0;
	if (hex && digest_is_hex(hex, 64))
		for (int i = 0; i <= 64; i++)
			out[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a'
								       : hex[i]);
}

/* A link may only lead where its page could: http(s) anywhere, file:// only from a file://
 * page (an index on the network must not make the build read local files). */
static int scheme_allowed(const char *page, const char *url)
{
	buf_t ps = BUF_INIT, us = BUF_INIT;
	int ok = pypi_url_scheme(url, &us) == 0 && pypi_url_scheme(page, &ps) == 0 &&
		 (!strcmp(us.data, "https") || !strcmp(us.data, "http") ||
		  (!strcmp(us.data, "file") && !strcmp(ps.data, "file")));
	buf_free(&ps);
	buf_free(&us);
	return ok;
}

static pypi_file_t *file_from_link(const index_sink_t *s, const index_link_t *l)
{
	buf_t url = BUF_INIT, base = BUF_INIT;
	pypi_file_t *f = NULL;
	const char *frag;
	pypi_url_join(s->page_url, l->href, &url);
	frag = pypi_url_split_fragment(buf_cstr(&url), &base);
	if (l->filename)
		buf_setstr(&url, l->filename); /* url no longer needed: reuse for the name */
	else
		pypi_url_basename(buf_cstr(&base), &url);
	pypi_distfile_t *d = pypi_distfile_parse(buf_cstr(&url), NULL);
	if (!d || !scheme_allowed(s->page_url, buf_cstr(&base)) || strchr(buf_cstr(&url), '/') ||
	    (s->key && strcmp(pypi_distfile_key(d), s->key))) {
		pypi_distfile_free(d);
		goto out;
	}
	f = xcalloc(1, sizeof *f);
	f->filename = xstrdup(buf_cstr(&url));
	f->url = buf_detach(&base);
	f->source = xstrdup(s->source);
	f->dist = d;
	copy_hex(f->sha256, l->sha256                              ? l->sha256
			    : frag && !strncmp(frag, "sha256=", 7) ? frag + 7
								   : NULL);
	if (l->requires_python)
		f->requires_python = pep440_spec_parse(l->requires_python, NULL);
	f->yanked = l->yanked;
	f->yank_reason = xstrdup(l->yank_reason);
	f->has_metadata = l->has_metadata && pypi_distfile_is_wheel(d);
	copy_hex(f->metadata_sha256, l->metadata_sha256);
	f->size = l->size;
out:
	buf_free(&url);
	buf_free(&base);
	return f;
}

/* The target's checks, done once per file. */
static void rate_file(const pypi_index_t *ix, pypi_file_t *f)
{
	pep440_ver_t *py = pep440_ver_parse(pypi_target_python_full_version(ix->o.target), NULL);
	f->rank = pypi_target_wheel_rank(ix->o.target, f->dist);
	/* pip checks Requires-Python against the full version, pre-releases included */
	f->python_ok = !f->requires_python || !py ||
		       pep440_spec_contains(f->requires_python, py, PEP440_PRE_ALLOW);
	pep440_ver_free(py);
}

static void keep_file(pypi_index_t *ix, pypi_file_t *f)
{
	rate_file(ix, f);
	ix->all = xrealloc(ix->all, (ix->n_all + 1) * sizeof *ix->all);
	ix->all[ix->n_all++] = f;
}

static void list_push(const pypi_file_t ***files, size_t *n, const pypi_file_t *f)
{
	*files = xrealloc(*files, (*n + 1) * sizeof **files);
	(*files)[(*n)++] = f;
}

void index_add_link(index_sink_t *s, const index_link_t *l)
{
	pypi_file_t *f = file_from_link(s, l);
	if (!f)
		return;
	keep_file(s->ix, f);
	list_push(s->files, s->n, f);
}

/* ------------------------------------------------------------------ sources */

/* An index's project page: <root>/<key>/. Not found is no files. */
static int load_from_index(pypi_index_t *ix, const char *root, const char *key,
			   const pypi_file_t ***files, size_t *n, err_t *err)
{
	buf_t url = BUF_INIT, body = BUF_INIT;
	pypi_fetch_resp_t resp = {BUF_INIT, BUF_INIT};
	int r;
	buf_addstr(&url, root);
	buf_addpath(&url, key);
	buf_addch(&url, '/');
	r = index_fetch_buf(ix, buf_cstr(&url), INDEX_ACCEPT, INDEX_MAX_PAGE_BYTES, &body, &resp,
			    err);
	if (r == 0) {
		index_sink_t s = {ix, buf_cstr(&resp.final_url), root, key, files, n};
		r = index_parse_page(&s, buf_cstr(&resp.content_type), buf_cstr(&body), body.len,
				     err);
	}
	buf_free(&url);
	buf_free(&body);
	buf_free(&resp.content_type);
	buf_free(&resp.final_url);
	return r == PYPI_FETCH_NOT_FOUND ? 0 : r;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file:// find-links directory: its wheel and sdist files of project key, by name. */
static int load_from_dir(pypi_index_t *ix, const char *url, const char *dir, const char *key,
			 const pypi_file_t ***files, size_t *n, err_t *err)
{
	pypi_strv_t names = PYPI_STRV_INIT;
	struct dirent *de;
	DIR *d = opendir(dir);
	buf_t page = BUF_INIT;
	if (!d)
		return err_set(err, "find-links %s: cannot list the directory", url);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			pypi_strv_add(&names, de->d_name);
	closedir(d);
	if (names.n > 1)
		qsort(names.v, names.n, sizeof *names.v,
		      cmp_names); /* readdir order is the disk's */
	buf_setstr(&page, url);
	if (!page.len || page.data[page.len - 1] != '/')
		buf_addch(&page, '/');
	index_sink_t s = {ix, buf_cstr(&page), url, key, files, n};
	for (size_t i = 0; i < names.n; i++) {
		buf_t href = BUF_INIT, enc = BUF_INIT;
		pypi_url_from_path(names.v[i], &enc); /* percent-encodes; drop "file://" */
		buf_addstr(&href, enc.data + 7);
		index_link_t l = {.filename = names.v[i], .href = buf_cstr(&href), .size = -1};
		index_add_link(&s, &l);
		buf_free(&href);
		buf_free(&enc);
	}
	pypi_strv_free(&names);
	buf_free(&page);
	return 0;
}

/* An HTML find-links page, fetched and read once; then filtered per project. */
static int load_from_page(pypi_index_t *ix, size_t k, const char *key, const pypi_file_t ***files,
			  size_t *n, err_t *err)
{
	links_page_t *p = &ix->pages[k];
	if (!p->loaded) {
		buf_t body = BUF_INIT;
		pypi_fetch_resp_t resp = {BUF_INIT, BUF_INIT};
		int r = index_fetch_buf(ix, ix->o.find_links[k], "text/html", INDEX_MAX_PAGE_BYTES,
					&body, &resp, err);
		if (r == PYPI_FETCH_NOT_FOUND)
			r = err_set(err, "find-links %s: not found", ix->o.find_links[k]);
		if (r == 0) {
			index_sink_t s = {ix,
					  buf_cstr(&resp.final_url),
					  ix->o.find_links[k],
					  NULL,
					  &p->files,
					  &p->n};
			r = index_parse_html(&s, buf_cstr(&body), body.len, err);
		}
		buf_free(&body);
		buf_free(&resp.content_type);
		buf_free(&resp.final_url);
		if (r < 0)
			return -1;
		p->loaded = 1;
	}
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(pypi_distfile_key(p->files[i]->dist), key))
			list_push(files, n, p->files[i]);
	return 0;
}

static int load_from_find_links(pypi_index_t *ix, size_t k, const char *key,
				const pypi_file_t ***files, size_t *n, err_t *err)
{
	const char *url = ix->o.find_links[k];
	buf_t path = BUF_INIT;
	struct stat st;
	int r;
	if (pypi_url_to_path(url, &path) == 0 && stat(buf_cstr(&path), &st) == 0 &&
	    S_ISDIR(st.st_mode))
		r = load_from_dir(ix, url, buf_cstr(&path), key, files, n, err);
	else
		r = load_from_page(ix, k, key, files, n, err);
	buf_free(&path);
	return r;
}

/* ------------------------------------------------------------------ API */

pypi_index_t *pypi_index_new(const pypi_index_opts_t *opts, err_t *err)
{
	pypi_index_t *ix;
	if (!opts->cache_dir || !opts->fetcher.fetch || !opts->target) {
		err_set(err, "package index: cache_dir, fetcher and target are required");
		return NULL;
	}
	ix = xcalloc(1, sizeof *ix);
	ix->o = *opts;
	for (size_t i = 0; i < opts->n_index_urls; i++)
		pypi_strv_add(&ix->roots, opts->index_urls[i]);
	for (size_t i = 0; i < opts->n_find_links; i++)
		pypi_strv_add(&ix->links, opts->find_links[i]);
	ix->o.index_urls = (const char *const *)ix->roots.v;
	ix->o.find_links = (const char *const *)ix->links.v;
	ix->pages = xcalloc(opts->n_find_links ? opts->n_find_links : 1, sizeof *ix->pages);
	return ix;
}

void pypi_index_free(pypi_index_t *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->n_all; i++)
		file_free(ix->all[i]);
	free(ix->all);
	for (size_t i = 0; i < ix->n_projects; i++) {
		free(ix->projects[i].key);
		free(ix->projects[i].files);
	}
	free(ix->projects);
	for (size_t i = 0; i < ix->o.n_find_links; i++)
		free(ix->pages[i].files);
	free(ix->pages);
	pypi_strv_free(&ix->roots);
	pypi_strv_free(&ix->links);
	free(ix);
}

int pypi_index_project(pypi_index_t *ix, const char *name, const pypi_file_t *const **files,
		       size_t *n, err_t *err)
{
	buf_t key = BUF_INIT;
	project_t p = {0};
	int r = 0;
	pypi_name_normalize(name, strlen(name), &key);
	for (size_t i = 0; i < ix->n_projects; i++)
		if (!strcmp(ix->projects[i].key, buf_cstr(&key))) {
			*files = ix->projects[i].files;
			*n = ix->projects[i].n;
			buf_free(&key);
			return 0;
		}
	for (size_t i = 0; r == 0 && i < ix->o.n_index_urls; i++)
		r = load_from_index(ix, ix->o.index_urls[i], buf_cstr(&key), &p.files, &p.n, err);
	for (size_t i = 0; r == 0 && i < ix->o.n_find_links; i++)
		r = load_from_find_links(ix, i, buf_cstr(&key), &p.files, &p.n, err);
	if (r < 0) {
		free(p.files);
		buf_free(&key);
		return -1;
	}
	p.key = buf_detach(&key);
	ix->projects = xrealloc(ix->projects, (ix->n_projects + 1) * sizeof *ix->projects);
	ix->projects[ix->n_projects++] = p;
	*files = p.files;
	*n = p.n;
	return 0;
}

const pypi_file_t *pypi_index_url_file(pypi_index_t *ix, const char *url, err_t *err)
{
	const pypi_file_t **one = NULL;
	size_t n = 0;
	index_sink_t s = {ix, url, url, NULL, &one, &n};
	index_link_t l = {.href = url, .size = -1};
	index_add_link(&s, &l);
	const pypi_file_t *f = n ? one[0] : NULL;
	free(one);
	if (!f)
		err_set(err, "%s: not a wheel URL imgbuild can fetch (http, https or file)", url);
	return f;
}

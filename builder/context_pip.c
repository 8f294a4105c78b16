/* context_pip.c — the pip: section of a platform (see context_pip.h): the target from the
 * solved python record, the platform and __glibc; the indexes (the list's --index-url, else
 * --pypi-index, else $PIP_INDEX_URL, else PyPI; then $PIP_EXTRA_INDEX_URL and the list's
 * --extra-index-url; the list's --find-links); conda's distributions as installed; the
 * resolution; one record per chosen wheel. */
#include "context_pip.h"
#include "context_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"
#include "index.h"
#include "index_provider.h"
#include "reqfile.h"
#include "resolve.h"
#include "tags.h"
#include "wheel.h"
#include "xalloc.h"

#define PYPI_DEFAULT_INDEX "https://pypi.org/simple/"

typedef struct pip_wheel {
	const pkgrec_t *rec; /* owned by the platform's solution */
	const pypi_file_t *file;
	const char *pin;  /* a --hash=sha256: of the requirement that names it, or NULL */
	int is_requested; /* a top-level requirement */
	const char *direct_url;
} pip_wheel_t;

struct ctx_pip {
	pypi_target_t *target;
	pypi_index_t *ix;
	pypi_index_provider_t *prov;
	pypi_resolution_t *res;
	pip_conda_map_t *conda;
	pep440_ver_t **installed_versions;
	pypi_installed_t *installed;
	char **owners;
	size_t n_installed;
	char **urls; /* index roots, then find-links (owned) */
	size_t n_index, n_links;
	pip_wheel_t *wheels;
	size_t n_wheels;
};

int ctx_pip_load(ctx_t *c, err_t *err)
{
	size_t n = c->env ? envspec_pip_count(c->env) : 0;
	if (n == 0)
		return 0;
	if (c->o->ignore_pip) {
		ctx_log(c, "%s: ignoring %zu pip dependencies (--ignore-pip)", envspec_path(c->env),
			n);
		return 0;
	}
	const char **lines = xcalloc(n, sizeof *lines);
	int *numbers = xcalloc(n, sizeof *numbers);
	for (size_t i = 0; i < n; i++) {
		lines[i] = envspec_pip(c->env, i);
		numbers[i] = envspec_pip_line(c->env, i);
	}
	c->pip_reqs = pypi_reqset_parse(envspec_path(c->env), lines, numbers, n, err);
	free(lines);
	free(numbers);
	return c->pip_reqs ? 0 : -1;
}

static void pip_free(ctx_pip_t *p)
{
	if (!p)
		return;
	pypi_resolution_free(p->res);
	pypi_index_provider_free(p->prov);
	pypi_index_free(p->ix);
	pypi_target_free(p->target);
	pip_conda_map_free(p->conda);
	for (size_t k = 0; k < p->n_installed; k++) {
		pep440_ver_free(p->installed_versions[k]);
		free(p->owners[k]);
	}
	for (size_t k = 0; k < p->n_index + p->n_links; k++)
		free(p->urls[k]);
	free(p->urls);
	free(p->installed_versions);
	free(p->installed);
	free(p->owners);
	free(p->wheels);
	free(p);
}

void ctx_pip_free_all(ctx_t *c)
{
	for (size_t i = 0; c->pip && i < c->n_plats; i++)
		pip_free(c->pip[i]);
	free(c->pip);
	c->pip = NULL;
	pypi_reqset_free(c->pip_reqs);
	c->pip_reqs = NULL;
}

static void add_url(ctx_pip_t *p, const char *url)
{
	p->urls = xrealloc(p->urls, (p->n_index + p->n_links + 1) * sizeof *p->urls);
	p->urls[p->n_index + p->n_links] = xstrdup(url);
}

/* Index roots in pip's precedence, then find-links. */
static void collect_urls(ctx_t *c, ctx_pip_t *p)
{
	const pypi_reqset_t *rs = c->pip_reqs;
	const char *primary = pypi_reqset_index_url(rs), *env = getenv("PIP_INDEX_URL");
	const char *extra = getenv("PIP_EXTRA_INDEX_URL");
	if (!pypi_reqset_no_index(rs)) {
		if (!primary)
			primary = c->o->pypi_index ? c->o->pypi_index
				  : env && *env    ? env
						   : PYPI_DEFAULT_INDEX;
		add_url(p, primary);
		p->n_index++;
		for (const char *s = extra; s && *s;) { /* pip splits it at white space */
			size_t len = strcspn(s, " \t\n");
			if (len) {
				char *one = xstrndup(s, len);
				add_url(p, one);
				p->n_index++;
				free(one);
			}
			s += len + strspn(s + len, " \t\n");
		}
		for (size_t k = 0; k < pypi_reqset_extra_index_count(rs); k++) {
			add_url(p, pypi_reqset_extra_index(rs, k));
			p->n_index++;
		}
	}
	for (size_t k = 0; k < pypi_reqset_find_links_count(rs); k++) {
		add_url(p, pypi_reqset_find_links(rs, k));
		p->n_links++;
	}
}

/* The conda packages' distributions, as the resolver's installed projects. */
static int note_installed(ctx_pip_t *p, err_t *err)
{
	size_t n = pip_conda_dist_count(p->conda);
	p->installed = xcalloc(n ? n : 1, sizeof *p->installed);
	p->installed_versions = xcalloc(n ? n : 1, sizeof *p->installed_versions);
	p->owners = xcalloc(n ? n : 1, sizeof *p->owners);
	for (size_t k = 0; k < n; k++) {
		const char *key, *version;
		const pkgrec_t *owner;
		err_t ignored = ERR_INIT;
		pip_conda_dist(p->conda, k, &key, &version, &owner);
		pep440_ver_t *v = pep440_ver_parse(version, &ignored);
		err_clear(&ignored);
		if (!v)
			continue; /* not a PEP 440 version: pip would not compare it either */
		char *dist = pkgrec_dist(owner);
		buf_t who = BUF_INIT;
		buf_addf(&who, "conda package %s", dist);
		free(dist);
		p->installed_versions[p->n_installed] = v;
		p->owners[p->n_installed] = buf_detach(&who);
		p->installed[p->n_installed] =
			(pypi_installed_t){key, v, p->owners[p->n_installed]};
		p->n_installed++;
	}
	(void)err;
	return 0;
}

/* The platform's target and index client. */
static int open_index(ctx_t *c, size_t i, const pkgrec_t *python, ctx_pip_t *p, err_t *err)
{
	virtual_set_t vs;
	const char *glibc = NULL;
	if (ctx_virtuals(c, i, &vs, err))
		return -1;
	for (size_t k = 0; k < vs.n; k++)
		if (!strcmp(vs.pkgs[k].name, "__glibc"))
			glibc = vs.pkgs[k].version;
	if (!(p->target = pypi_target_new(python->version, c->plats[i].subdir,
					  glibc ? glibc : "2.17", err)))
		return -1;
	if (!c->o->lock_path) /* a lock's wheels are fetched by their URLs */
		collect_urls(c, p);
	pypi_index_opts_t io = {(const char *const *)p->urls,
				p->n_index,
				(const char *const *)p->urls + p->n_index,
				p->n_links,
				ctx_cache_dir(c),
				{pypi_fetch_http, (void *)ctx_http(c)},
				p->target,
				c->o->offline};
	if (!(p->ix = pypi_index_new(&io, err)))
		return -1;
	p->prov = pypi_index_provider_new(p->ix);
	return 0;
}

/* Direct URL requirements become their project's only candidate. */
static int use_direct_urls(ctx_t *c, ctx_pip_t *p, err_t *err)
{
	const pypi_reqset_t *rs = c->pip_reqs;
	for (size_t k = 0; k < pypi_reqset_count(rs); k++) {
		const pypi_req_t *r = pypi_reqset_req(rs, k);
		const pypi_file_t *f;
		if (!pypi_req_url(r))
			continue;
		if (!(f = pypi_index_url_file(p->ix, pypi_req_url(r), err)) ||
		    pypi_index_provider_use_file(p->prov, pypi_req_key(r), f, err))
			return err_prefix(err, "%s", pypi_reqset_origin(rs, k));
	}
	return 0;
}

static int resolve_list(ctx_t *c, ctx_pip_t *p, err_t *err)
{
	const pypi_reqset_t *rs = c->pip_reqs;
	size_t n = pypi_reqset_count(rs), n_con = pypi_reqset_constraint_count(rs);
	const pypi_req_t **reqs = xcalloc(n ? n : 1, sizeof *reqs);
	const pypi_req_t **cons = xcalloc(n_con ? n_con : 1, sizeof *cons);
	const char **origins = xcalloc(n ? n : 1, sizeof *origins);
	for (size_t k = 0; k < n; k++) {
		reqs[k] = pypi_reqset_req(rs, k);
		origins[k] = pypi_reqset_origin(rs, k);
	}
	for (size_t k = 0; k < n_con; k++)
		cons[k] = pypi_reqset_constraint(rs, k);
	pypi_resolve_opts_t ro = {pypi_index_provider_get(p->prov),
				  pypi_target_marker_env(p->target),
				  pypi_reqset_pre(rs),
				  p->installed,
				  p->n_installed,
				  0};
	p->res = pypi_resolve(&ro, reqs, origins, n, cons, n_con, err);
	free(reqs);
	free(cons);
	free(origins);
	return p->res ? 0 : -1;
}

/* The --hash pin and direct URL of the top-level requirement on key, if any. */
static void requirement_of(const pypi_reqset_t *rs, const char *key, const pypi_file_t *f,
			   pip_wheel_t *w)
{
	for (size_t k = 0; k < pypi_reqset_count(rs); k++) {
		const pypi_req_t *r = pypi_reqset_req(rs, k);
		if (strcmp(pypi_req_key(r), key))
			continue;
		if (pypi_req_url(r))
			w->direct_url = pypi_req_url(r);
		for (size_t h = 0; h < pypi_reqset_hash_count(rs, k); h++) {
			const char *pin = pypi_reqset_hash(rs, k, h);
			/* pip accepts any of a requirement's hashes */
			if (!w->pin || (f->sha256[0] && !strcmp(pin, f->sha256)))
				w->pin = pin;
		}
	}
}

/* The installed project's conda record name (edges of the layer plan), else key. */
static const char *dep_name(const ctx_pip_t *p, const char *key)
{
	for (size_t k = 0; k < pip_conda_dist_count(p->conda); k++) {
		const char *dk, *v;
		const pkgrec_t *owner;
		pip_conda_dist(p->conda, k, &dk, &v, &owner);
		if (!strcmp(dk, key))
			return owner->name;
	}
	return key;
}

/* The layer-cache key reads raw: everything the installed bytes depend on beyond the wheel
 * (docs/pip.md "In the build"). */
static json_t *wheel_raw(const ctx_pip_t *p, const pip_wheel_t *w, const pypi_file_t *f)
{
	json_t *o = json_object();
	json_object_set_new(o, "installer", json_string("imgbuild"));
	json_object_set_new(o, "wheel", json_string(f->filename));
	json_object_set_new(o, "python", json_string(pypi_target_python_version(p->target)));
	json_object_set_new(o, "requested", json_boolean(w->is_requested));
	json_object_set_new(o, "direct_url",
			    w->direct_url ? json_string(w->direct_url) : json_null());
	return o;
}

static pkgrec_t *wheel_record(ctx_pip_t *p, size_t i, pip_wheel_t *w, err_t *err)
{
	const pypi_candidate_t *cand = pypi_resolution_candidate(p->res, i);
	const pypi_file_t *f = pypi_index_provider_file(cand);
	pkgrec_t *r;
	/* checked here too: a layer-cache hit never downloads the wheel */
	if (w->pin && f->sha256[0] && strcmp(w->pin, f->sha256)) {
		err_set(err,
			"%s: the index gives sha256 %s but the requirement pins --hash=sha256:%s",
			f->filename, f->sha256, w->pin);
		return NULL;
	}
	r = pkgrec_new();
	w->file = f;
	w->is_requested = pypi_resolution_is_requested(p->res, i);
	r->name = xstrdup(pypi_resolution_key(p->res, i));
	r->version = xstrdup(pep440_ver_str(cand->version));
	r->build = xstrdup(GROUP_PIP_BUILD);
	r->subdir = xstrdup(GROUP_PIP_SUBDIR);
	r->channel = xstrdup(GROUP_PIP_SUBDIR); /* as `conda list` names pip packages */
	r->fn = xstrdup(f->filename);
	r->url = xstrdup(f->url);
	r->size = f->size > 0 ? f->size : 0;
	if (f->sha256[0]) {
		r->sha256 = xstrdup(f->sha256);
	} else { /* a find-links file without a hash: hashed where it lies */
		buf_t path = BUF_INIT;
		char sha[65];
		int rc = pypi_index_download(p->ix, f, w->pin, &path, sha, err);
		buf_free(&path);
		if (rc) {
			pkgrec_free(r);
			return NULL;
		}
		r->sha256 = xstrdup(sha);
	}
	r->n_depends = pypi_resolution_dep_count(p->res, i);
	r->depends = xcalloc(r->n_depends ? r->n_depends : 1, sizeof *r->depends);
	for (size_t k = 0; k < r->n_depends; k++)
		r->depends[k] = xstrdup(dep_name(p, pypi_resolution_dep(p->res, i, k)));
	r->raw = wheel_raw(p, w, f);
	w->rec = r;
	return r;
}

/* The new package set: copies of the conda records plus the wheels' records, sorted by name
 * as every solution is; archives follow their records. */
static solution_t *merge(solution_t *sol, pkgrec_t **pip_recs, size_t n_pip, char ***archives)
{
	size_t n_conda = solution_count(sol), n = n_conda + n_pip;
	pkgrec_t **recs = xcalloc(n ? n : 1, sizeof *recs);
	char **old = archives ? *archives : NULL, **moved = NULL;
	for (size_t k = 0; k < n_conda; k++)
		recs[k] = pkgrec_dup(solution_get(sol, k));
	memcpy(recs + n_conda, pip_recs, n_pip * sizeof *recs);
	pkgrec_t **before = xcalloc(n ? n : 1, sizeof *before);
	memcpy(before, recs, n * sizeof *before);
	solution_t *out = solution_from_records(recs, n);
	if (old) {
		moved = xcalloc(n ? n : 1, sizeof *moved);
		for (size_t j = 0; j < n; j++)
			for (size_t k = 0; k < n_conda; k++)
				if (solution_get(out, j) == before[k])
					moved[j] = old[k];
		free(old);
		*archives = moved;
	}
	free(before);
	solution_free(sol);
	return out;
}

static int resolve_platform(ctx_t *c, size_t i, solution_t *sol, char *const *archives,
			    ctx_pip_t *p, pkgrec_t ***recs, err_t *err)
{
	const pkgrec_t *python = solution_find(sol, "python");
	size_t n = solution_count(sol), n_res;
	if (!python)
		return err_set(err,
			       "%s: the pip: section needs python among the conda dependencies "
			       "(add python to dependencies:, or pass --ignore-pip)",
			       envspec_path(c->env));
	const pkgrec_t **v = xcalloc(n ? n : 1, sizeof *v);
	char *python_xy = solution_python_version(sol);
	for (size_t k = 0; k < n; k++)
		v[k] = solution_get(sol, k);
	p->conda = pip_conda_scan(c, v, n, archives, python_xy ? python_xy : "3", err);
	free(python_xy);
	free(v);
	if (!p->conda || open_index(c, i, python, p, err) || note_installed(p, err) ||
	    use_direct_urls(c, p, err) || resolve_list(c, p, err))
		return -1;
	n_res = pypi_resolution_count(p->res);
	p->wheels = xcalloc(n_res ? n_res : 1, sizeof *p->wheels);
	*recs = xcalloc(n_res ? n_res : 1, sizeof **recs);
	for (size_t k = 0; k < n_res; k++, p->n_wheels++) {
		requirement_of(c->pip_reqs, pypi_resolution_key(p->res, k),
			       pypi_index_provider_file(pypi_resolution_candidate(p->res, k)),
			       &p->wheels[k]);
		if (!((*recs)[k] = wheel_record(p, k, &p->wheels[k], err)))
			return -1;
	}
	return 0;
}

size_t ctx_pip_lock_filter(ctx_t *c, pkgrec_t **recs, size_t n)
{
	size_t kept = 0, dropped = 0;
	if (!c->o->ignore_pip)
		return n;
	for (size_t k = 0; k < n; k++) {
		if (group_is_pip(recs[k])) {
			pkgrec_free(recs[k]);
			dropped++;
		} else {
			recs[kept++] = recs[k];
		}
	}
	if (dropped)
		ctx_log(c, "%s: ignoring %zu pip packages (--ignore-pip)", c->o->lock_path,
			dropped);
	return kept;
}

static int is_top_level(const pypi_reqset_t *rs, const char *key)
{
	for (size_t k = 0; k < pypi_reqset_count(rs); k++)
		if (!strcmp(pypi_req_key(pypi_reqset_req(rs, k)), key))
			return 1;
	return 0;
}

/* Without the environment file, a pip entry of a lock is taken as a top-level requirement
 * when no other entry depends on it (conda-lock v1 does not record which ones were asked
 * for; REQUESTED may then differ from the build that solved). */
static int lock_is_requested(const solution_t *sol, const pkgrec_t *r)
{
	for (size_t k = 0; k < solution_count(sol); k++) {
		const pkgrec_t *o = solution_get(sol, k);
		for (size_t d = 0; group_is_pip(o) && d < o->n_depends; d++) {
			char *name = pkgrec_dep_name(o->depends[d]);
			int is_dep = !strcmp(name, r->name);
			free(name);
			if (is_dep)
				return 0;
		}
	}
	return 1;
}

/* --lock: the lock's pip entries are the wheels, by URL and sha256; no resolution. */
static int lock_wheels(ctx_t *c, size_t i, solution_t *sol, char *const *archives, ctx_pip_t *p,
		       err_t *err)
{
	size_t n = solution_count(sol), n_conda = 0, n_pip = 0;
	const pkgrec_t *python = solution_find(sol, "python");
	const pkgrec_t **v = xcalloc(n ? n : 1, sizeof *v);
	char **a = xcalloc(n ? n : 1, sizeof *a), *python_xy = solution_python_version(sol);
	buf_t url = BUF_INIT;
	int rc = -1;
	for (size_t k = 0; k < n; k++) {
		if (group_is_pip(solution_get(sol, k))) {
			n_pip++;
			continue;
		}
		a[n_conda] = archives ? archives[k] : NULL;
		v[n_conda++] = solution_get(sol, k);
	}
	if (!n_pip) {
		rc = 0;
		goto out;
	}
	if (!python) {
		err_set(err, "%s: the lock has pip packages but no python package",
			c->o->lock_path);
		goto out;
	}
	if (!(p->conda = pip_conda_scan(c, v, n_conda, a, python_xy ? python_xy : "3", err)) ||
	    open_index(c, i, python, p, err) || note_installed(p, err))
		goto out;
	p->wheels = xcalloc(n_pip, sizeof *p->wheels);
	for (size_t k = 0; k < n; k++) {
		pkgrec_t *r = solution_record(sol, k);
		pip_wheel_t *w = &p->wheels[p->n_wheels];
		if (!group_is_pip(r))
			continue;
		buf_setstr(&url, r->url);
		buf_addf(&url, "#sha256=%s", r->sha256);
		if (!(w->file = pypi_index_url_file(p->ix, url.data, err))) {
			err_prefix(err, "%s", pkgrec_origin(r));
			goto out;
		}
		w->rec = r;
		if (c->pip_reqs) { /* the environment file says what was asked for */
			requirement_of(c->pip_reqs, r->name, w->file, w);
			w->is_requested = is_top_level(c->pip_reqs, r->name);
		} else {
			w->is_requested = lock_is_requested(sol, r);
		}
		w->pin = r->sha256;
		if (!r->raw)
			r->raw = wheel_raw(p, w, w->file);
		p->n_wheels++;
	}
	ctx_log(c, "pip: %zu wheel(s) from %s", p->n_wheels, c->o->lock_path);
	rc = 0;
out:
	free(v);
	free(a);
	free(python_xy);
	buf_free(&url);
	return rc;
}

/* On failure the package set and its archives go: the caller gets none (ctx_packages). */
static int drop_packages(solution_t **sol, char ***archives)
{
	for (size_t k = 0; archives && *archives && k < solution_count(*sol); k++)
		free((*archives)[k]);
	if (archives && *archives) {
		free(*archives);
		*archives = NULL;
	}
	solution_free(*sol);
	*sol = NULL;
	return -1;
}

int ctx_pip_add(ctx_t *c, size_t i, solution_t **sol, char ***archives, err_t *err)
{
	ctx_pip_t *p;
	pkgrec_t **recs = NULL;
	if (!c->pip_reqs && !c->o->lock_path)
		return 0;
	if (!c->pip)
		c->pip = xcalloc(c->n_plats, sizeof *c->pip);
	pip_free(c->pip[i]);
	p = c->pip[i] = xcalloc(1, sizeof *p);
	if (c->o->lock_path) {
		if (lock_wheels(c, i, *sol, archives ? *archives : NULL, p, err))
			return drop_packages(sol, archives);
		return 0;
	}
	ctx_log(c, "resolving %zu pip requirement(s)%s%s", pypi_reqset_count(c->pip_reqs),
		c->n_plats > 1 ? " for " : "", c->n_plats > 1 ? c->plats[i].name : "");
	if (resolve_platform(c, i, *sol, archives ? *archives : NULL, p, &recs, err)) {
		for (size_t k = 0; recs && k < p->n_wheels; k++)
			pkgrec_free(recs[k]);
		free(recs);
		return drop_packages(sol, archives);
	}
	ctx_log(c, "pip: %zu wheel(s) to install, %zu distribution(s) already installed by conda",
		p->n_wheels, p->n_installed);
	*sol = merge(*sol, recs, p->n_wheels, archives);
	free(recs);
	return 0;
}

static const pip_wheel_t *find_wheel(ctx_t *c, size_t i, const pkgrec_t *r)
{
	const ctx_pip_t *p = c->pip ? c->pip[i] : NULL;
	for (size_t k = 0; p && k < p->n_wheels; k++)
		if (p->wheels[k].rec == r)
			return &p->wheels[k];
	return NULL;
}

int ctx_pip_fetch(ctx_t *c, size_t i, const pkgrec_t *r, char **path, err_t *err)
{
	const pip_wheel_t *w = find_wheel(c, i, r);
	buf_t got = BUF_INIT;
	char sha[65];
	*path = NULL;
	if (!w)
		return err_set(err, "%s: not a pip package of this build", r->fn);
	if (pypi_index_download(c->pip[i]->ix, w->file, w->pin, &got, sha, err)) {
		buf_free(&got);
		return -1;
	}
	if (strcmp(sha, r->sha256)) {
		buf_free(&got);
		return err_set(err, "%s: sha256 %s, but %s was expected", w->file->url, sha,
			       r->sha256);
	}
	ctx_log(c, "fetched %s", r->fn);
	*path = buf_detach(&got);
	return 0;
}

static const char *owned_by(void *ud, const char *rel_path)
{
	return pip_conda_owner(ud, rel_path);
}

int ctx_pip_install(ctx_t *c, size_t i, const pkgrec_t *r, const char *wheel, const char *stage,
		    err_t *err)
{
	const pip_wheel_t *w = find_wheel(c, i, r);
	if (!w)
		return err_set(err, "%s: not a pip package of this build", r->fn);
	pypi_wheel_opts_t o = {.target_prefix = ctx_prefix(c),
			       .python_version = pypi_target_python_version(c->pip[i]->target),
			       .is_requested = w->is_requested,
			       .direct_url = w->direct_url,
			       .sha256 = r->sha256,
			       .owned_by = owned_by,
			       .owned_by_ud = c->pip[i]->conda};
	if (pypi_wheel_install(&o, wheel, r->fn, stage, err))
		return err_prefix(err, "pip package %s %s", r->name, r->version);
	return 0;
}

int ctx_pip_fetch_all(ctx_t *c, size_t i, const pkgrec_t *const *pkgs, size_t n,
		      const unsigned char *is_needed, char **archives, err_t *err)
{
	for (size_t k = 0; k < n; k++)
		if (group_is_pip(pkgs[k]) && (!is_needed || is_needed[k]) && !archives[k] &&
		    ctx_pip_fetch(c, i, pkgs[k], &archives[k], err))
			return -1;
	return 0;
}

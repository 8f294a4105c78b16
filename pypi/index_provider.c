/* index_provider.c — candidates and requirements from the index (see index_provider.h). */
#include "index_provider.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

typedef struct project {
	char *key;
	pypi_candidate_t *cands;
	const pypi_candidate_t **ptrs;
	size_t n;
	pypi_metadata_t **meta; /* per candidate, read on first use */
	const pypi_req_t ***reqs;
} project_t;

typedef struct url_pin {
	char *key;
	const pypi_file_t *file;
} url_pin_t;

struct pypi_index_provider {
	pypi_index_t *ix;
	pypi_provider_t prov;
	project_t *projects;
	size_t n;
	url_pin_t *pins;
	size_t n_pins;
};

/* Is a better than b for the same version? A lower tag rank, then the earlier file. */
static int better(const pypi_file_t *a, const pypi_file_t *b)
{
	return a->rank < b->rank;
}

static void note_skipped(buf_t *why, const pypi_file_t *f, size_t *notes)
{
	const char *what =
		!pypi_distfile_is_wheel(f->dist)
			? "has only an sdist (%s), which needs a build from source: build "
			  "a wheel and add its directory with --find-links"
		: f->rank < 0 ? "has no wheel for this python and platform (e.g. %s)"
			      : "requires another python (%s: Requires-Python %s)";
	if (++*notes > 6)
		return;
	buf_addf(why, "%s%s ", why->len ? "; " : "",
		 pep440_ver_str(pypi_distfile_version(f->dist)));
	buf_addf(why, what, f->filename,
		 f->requires_python ? pep440_spec_str(f->requires_python) : "");
}

/* One candidate per version: the best usable file. */
static void build_candidates(project_t *p, const pypi_file_t *const *files, size_t n, buf_t *why)
{
	size_t notes = 0;
	p->cands = xcalloc(n ? n : 1, sizeof *p->cands);
	for (size_t i = 0; i < n; i++) {
		const pypi_file_t *f = files[i];
		const pep440_ver_t *v = pypi_distfile_version(f->dist);
		size_t k;
		for (k = 0; k < p->n; k++)
			if (!pep440_ver_cmp(p->cands[k].version, v))
				break;
		if (f->rank < 0 || !f->python_ok)
			continue;
		if (k == p->n) {
			p->cands[p->n++] = (pypi_candidate_t){v, f->yanked, f};
		} else if (better(f, p->cands[k].handle)) {
			p->cands[k].handle = f;
			p->cands[k].yanked = f->yanked;
		}
	}
	for (size_t i = 0; i < n; i++) { /* versions that gave no candidate, for messages */
		size_t k;
		for (k = 0; k < p->n; k++)
			if (!pep440_ver_cmp(p->cands[k].version,
					    pypi_distfile_version(files[i]->dist)))
				break;
		if (k == p->n)
			note_skipped(why, files[i], &notes);
	}
	p->ptrs = xcalloc(p->n ? p->n : 1, sizeof *p->ptrs);
	for (size_t k = 0; k < p->n; k++)
		p->ptrs[k] = &p->cands[k];
	p->meta = xcalloc(p->n ? p->n : 1, sizeof *p->meta);
	p->reqs = xcalloc(p->n ? p->n : 1, sizeof *p->reqs);
}

static int list(void *ud, const char *key, const pypi_candidate_t *const **cands, size_t *n,
		buf_t *why, err_t *err)
{
	pypi_index_provider_t *pv = ud;
	const pypi_file_t *const *files = NULL;
	size_t nf = 0;
	for (size_t i = 0; i < pv->n_pins && !files; i++)
		if (!strcmp(pv->pins[i].key, key)) {
			files = &pv->pins[i].file;
			nf = 1;
		}
	if (!files && pypi_index_project(pv->ix, key, &files, &nf, err) < 0)
		return -1;
	pv->projects = xrealloc(pv->projects, (pv->n + 1) * sizeof *pv->projects);
	project_t *p = &pv->projects[pv->n++];
	memset(p, 0, sizeof *p);
	p->key = xstrdup(key);
	build_candidates(p, files, nf, why);
	*cands = p->ptrs;
	*n = p->n;
	return 0;
}

static int requires(void *ud, const char *key, const pypi_candidate_t *c,
		    const pypi_req_t *const **reqs, size_t *n, err_t *err)
{
	pypi_index_provider_t *pv = ud;
	for (size_t i = 0; i < pv->n; i++) {
		project_t *p = &pv->projects[i];
		if (strcmp(p->key, key) || c < p->cands || c >= p->cands + p->n)
			continue;
		size_t k = (size_t)(c - p->cands);
		if (!p->meta[k]) {
			if (!(p->meta[k] = pypi_index_metadata(pv->ix, c->handle, err)))
				return -1;
			size_t m = pypi_metadata_requires_count(p->meta[k]);
			p->reqs[k] = xcalloc(m ? m : 1, sizeof *p->reqs[k]);
			for (size_t j = 0; j < m; j++)
				p->reqs[k][j] = pypi_metadata_requires(p->meta[k], j);
		}
		*reqs = p->reqs[k];
		*n = pypi_metadata_requires_count(p->meta[k]);
		return 0;
	}
	return err_set(err, "%s: a candidate this provider did not list", key);
}

pypi_index_provider_t *pypi_index_provider_new(pypi_index_t *ix)
{
	pypi_index_provider_t *p = xcalloc(1, sizeof *p);
	p->ix = ix;
	p->prov = (pypi_provider_t){p, list, requires};
	return p;
}

void pypi_index_provider_free(pypi_index_provider_t *pv)
{
	if (!pv)
		return;
	for (size_t i = 0; i < pv->n; i++) {
		project_t *p = &pv->projects[i];
		for (size_t k = 0; k < p->n; k++) {
			pypi_metadata_free(p->meta[k]);
			free(p->reqs[k]);
		}
		free(p->key);
		free(p->cands);
		free(p->ptrs);
		free(p->meta);
		free(p->reqs);
	}
	free(pv->projects);
	for (size_t i = 0; i < pv->n_pins; i++)
		free(pv->pins[i].key);
	free(pv->pins);
	free(pv);
}

int pypi_index_provider_use_file(pypi_index_provider_t *p, const char *key, const pypi_file_t *f,
				 err_t *err)
{
	for (size_t i = 0; i < p->n_pins; i++)
		if (!strcmp(p->pins[i].key, key)) {
			if (p->pins[i].file == f)
				return 0;
			return err_set(err, "%s is required from two URLs: %s and %s", key,
				       p->pins[i].file->url, f->url);
		}
	p->pins = xrealloc(p->pins, (p->n_pins + 1) * sizeof *p->pins);
	p->pins[p->n_pins++] = (url_pin_t){xstrdup(key), f};
	return 0;
}

const pypi_provider_t *pypi_index_provider_get(pypi_index_provider_t *p)
{
	return &p->prov;
}

const pypi_file_t *pypi_index_provider_file(const pypi_candidate_t *c)
{
	return c->handle;
}

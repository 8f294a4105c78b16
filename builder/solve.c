/* solve.c — conda dependency solving over libsolv's conda mode (see solve.h).
 * libsolv reads each repodata.json into a repo; jansson reads the same file once more so each
 * chosen solvable can be turned back into its full repodata record (pkgrec_t). That second
 * parse roughly doubles load time on big channels (a known cost; a .solv cache plus an
 * fn -> byte-offset index would remove it). */
#include "solve.h"
#include "channel.h"
#include "matchspec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Order matters: libsolv 0.7.23's conda.h and repo_conda.h do not include what they use.
 * Its headers' inline helpers have unused parameters; keep -Werror for our own code only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <solv/pool.h>
#include <solv/repo.h>
#include <solv/repodata.h>
#include <solv/solver.h>
#include <solv/problems.h>
#include <solv/rules.h>
#include <solv/transaction.h>
#include <solv/conda.h>
#include <solv/repo_conda.h>
#pragma GCC diagnostic pop

/* What one libsolv repo (channel x subdir) came from; hung on Repo.appdata. */
struct repo_info {
	char *channel_name;
	char *channel_url;
	char *subdir;
	json_t *root; /* the parsed repodata.json, for pkgrec_from_json */
};

struct solver {
	Pool *pool;
	Repo *virtual_repo; /* the "installed" repo holding __glibc, __cuda, ... */
	Repodata *virtual_data;
	struct repo_info **infos;
	size_t n_infos;
};

struct solution {
	pkgrec_t **recs;
	size_t n;
};

static char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");
	if (!p)
		abort();
	return p;
}

solver_t *solve_new(err_t *err)
{
	solver_t *s = calloc(1, sizeof *s);
	if (!s)
		abort();
	s->pool = pool_create();
	if (pool_setdisttype(s->pool, DISTTYPE_CONDA) < 0) {
		err_set(err, "libsolv was built without conda support (ENABLE_CONDA): run "
			     ".ci/bootstrap to build it into .deps/, then rebuild imgbuild");
		solve_free(s);
		return NULL;
	}
	return s;
}

void solve_free(solver_t *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_infos; i++) {
		free(s->infos[i]->channel_name);
		free(s->infos[i]->channel_url);
		free(s->infos[i]->subdir);
		json_decref(s->infos[i]->root);
		free(s->infos[i]);
	}
	free(s->infos);
	pool_free(s->pool);
	free(s);
}

int solve_add_repodata(solver_t *s, const char *channel_name, const char *channel_url,
		       const char *subdir, const char *repodata_path, int channel_index, err_t *err)
{
	FILE *fp = NULL;
	json_error_t jerr;
	struct repo_info *info = NULL;
	buf_t repo_name = BUF_INIT;
	int rc = -1;

	info = calloc(1, sizeof *info);
	if (!info)
		abort();
	info->channel_name = xstrdup(channel_name ? channel_name : channel_url);
	info->channel_url = xstrdup(channel_url);
	info->subdir = xstrdup(subdir);
	info->root = json_load_file(repodata_path, 0, &jerr);
	if (!info->root) {
		err_set(err, "%s (repodata of %s/%s): not valid JSON (line %d: %s)", repodata_path,
			channel_url, subdir, jerr.line, jerr.text);
		goto out;
	}
	fp = fopen(repodata_path, "r");
	if (!fp) {
		err_set(err, "%s: cannot open repodata", repodata_path);
		goto out;
	}
	buf_addf(&repo_name, "%s/%s", channel_url, subdir);
	Repo *repo = repo_create(s->pool, repo_name.data);
	/* Strict channel priority: first channel highest. Within a channel the platform subdir
	 * wins ties over noarch (conda's order of the two repodata files). */
	repo->priority = -channel_index;
	repo->subpriority = strcmp(subdir, "noarch") == 0 ? 0 : 1;
	if (repo_add_conda(repo, fp, 0) != 0) {
		err_set(err, "%s (repodata of %s/%s): libsolv cannot load it: %s", repodata_path,
			channel_url, subdir, pool_errstr(s->pool));
		repo_free(repo, 1);
		goto out;
	}
	repo->appdata = info;
	struct repo_info **grown = realloc(s->infos, (s->n_infos + 1) * sizeof *grown);
	if (!grown)
		abort();
	s->infos = grown;
	s->infos[s->n_infos++] = info;
	info = NULL;
	rc = 0;
out:
	if (fp)
		fclose(fp);
	if (info) {
		free(info->channel_name);
		free(info->channel_url);
		free(info->subdir);
		json_decref(info->root);
		free(info);
	}
	buf_free(&repo_name);
	return rc;
}

int solve_add_virtual(solver_t *s, const char *name, const char *version, const char *build,
		      err_t *err)
{
	if (!name || strncmp(name, "__", 2) != 0 || !version || !*version)
		return err_set(err, "virtual package '%s' must be named __something and have a version",
			       name ? name : "");
	if (!s->virtual_repo) {
		s->virtual_repo = repo_create(s->pool, "@virtual");
		s->virtual_data = repo_add_repodata(s->virtual_repo, 0);
		pool_set_installed(s->pool, s->virtual_repo);
	}
	Pool *pool = s->pool;
	Id p = repo_add_solvable(s->virtual_repo);
	Solvable *sv = pool_id2solvable(pool, p);
	sv->name = pool_str2id(pool, name, 1);
	sv->evr = pool_str2id(pool, version, 1);
	sv->provides = repo_addid_dep(s->virtual_repo, sv->provides,
				      pool_rel2id(pool, sv->name, sv->evr, REL_EQ, 1), 0);
	/* conda's virtual packages carry build "0" unless they say otherwise (__archspec). */
	repodata_add_poolstr_array(s->virtual_data, p, SOLVABLE_BUILDFLAVOR,
				   build && *build ? build : "0");
	return 0;
}

/* ---- specs to jobs ---- */

static int info_matches_channel(const struct repo_info *info, const matchspec_t *m)
{
	if (m->subdir && strcmp(m->subdir, info->subdir) != 0)
		return 0;
	if (strcmp(m->channel, info->channel_name) == 0 || strcmp(m->channel, info->channel_url) == 0)
		return 1;
	/* "conda-forge::x" against a channel given as its URL, or the other way round. */
	buf_t url = BUF_INIT;
	err_t ignored = ERR_INIT;
	int same = channel_resolve(m->channel, NULL, &url, &ignored) == 0 &&
		   strcmp(url.data, info->channel_url) == 0;
	buf_free(&url);
	err_clear(&ignored);
	return same;
}

static void channels_searched(const solver_t *s, buf_t *out)
{
	for (size_t i = 0; i < s->n_infos; i++) {
		int seen = 0;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(s->infos[j]->channel_name, s->infos[i]->channel_name) == 0;
		if (seen)
			continue;
		if (out->len)
			buf_addstr(out, ", ");
		buf_addstr(out, s->infos[i]->channel_name);
	}
	if (!out->len)
		buf_addstr(out, "none");
}

/* Appends the job for one spec to `job`. */
static int add_spec_job(solver_t *s, const char *spec, Queue *job, err_t *err)
{
	Pool *pool = s->pool;
	matchspec_t *m = NULL;
	buf_t solvstr = BUF_INIT, where = BUF_INIT;
	Queue q;
	int rc = -1;
	queue_init(&q);

	m = matchspec_parse(spec, err);
	if (!m)
		goto out;
	matchspec_to_solv(m, &solvstr);
	Id dep = pool_conda_matchspec(pool, solvstr.data);
	if (!dep) {
		err_set(err, "bad MatchSpec '%s': libsolv cannot read '%s'", spec, solvstr.data);
		goto out;
	}
	Id p, pp;
	int any_channel = 0;
	FOR_PROVIDES(p, pp, dep) {
		Solvable *sv = pool_id2solvable(pool, p);
		const struct repo_info *info = sv->repo->appdata;
		if (!m->channel) {
			queue_push(&q, p);
		} else if (info && info_matches_channel(info, m)) {
			queue_push(&q, p);
		}
	}
	if (m->channel) {
		for (size_t i = 0; i < s->n_infos; i++)
			any_channel |= info_matches_channel(s->infos[i], m);
		/* An empty ONE_OF counts as satisfied in libsolv: refuse it here. */
		if (!q.count) {
			if (any_channel)
				err_set(err, "no package matches '%s' in channel %s", spec, m->channel);
			else {
				channels_searched(s, &where);
				err_set(err,
					"no package matches '%s' in channel %s: that channel is not in "
					"the channel list (%s); add it under channels:",
					spec, m->channel, where.data);
			}
			goto out;
		}
		/* SOLVER_SETREPO lifts the strict-priority rules for this name (libsolv's
		 * DISABLE_REPOPRIO), as conda lets `chan::pkg` override channel order. */
		queue_push2(job, SOLVER_INSTALL | SOLVER_SOLVABLE_ONE_OF | SOLVER_SETREPO,
			    pool_queuetowhatprovides(pool, &q));
	} else {
		if (!q.count) {
			channels_searched(s, &where);
			err_set(err, "nothing provides '%s' (channels searched: %s)", spec, where.data);
			goto out;
		}
		queue_push2(job, SOLVER_INSTALL | SOLVER_SOLVABLE_PROVIDES, dep);
	}
	rc = 0;
out:
	queue_free(&q);
	buf_free(&solvstr);
	buf_free(&where);
	matchspec_free(m);
	return rc;
}

/* ---- results ---- */

/* libsolv speaks of repos; users configured channels. */
static void add_in_conda_words(buf_t *out, const char *line)
{
	const char *from = "strict repo priority", *hit;
	while ((hit = strstr(line, from)) != NULL) {
		buf_add(out, line, (size_t)(hit - line));
		buf_addstr(out, "strict channel priority");
		line = hit + strlen(from);
	}
	buf_addstr(out, line);
}

/* Every problem on its own line, with the rules behind it as indented lines below it. */
static void explain_problems(Solver *solv, buf_t *out)
{
	Queue rules;
	queue_init(&rules);
	buf_addstr(out, "cannot solve the environment:");
	int count = solver_problem_count(solv);
	for (Id problem = 1; problem <= count; problem++) {
		buf_t headline = BUF_INIT;
		buf_addstr(&headline, solver_problem2str(solv, problem));
		buf_addf(out, "\n  problem %d: ", problem);
		add_in_conda_words(out, headline.data);
		solver_findallproblemrules(solv, problem, &rules);
		buf_t seen = BUF_INIT; /* "\n"-joined lines already printed for this problem */
		for (int i = 0; i < rules.count; i++) {
			Id source, target, dep;
			SolverRuleinfo type = solver_ruleinfo(solv, rules.elements[i], &source, &target, &dep);
			const char *line = solver_problemruleinfo2str(solv, type, source, target, dep);
			buf_t key = BUF_INIT;
			buf_addf(&key, "\n%s\n", line);
			/* Skip repeats, and the rule problem2str already printed as the headline. */
			int dup = (seen.len && strstr(seen.data, key.data) != NULL) ||
				  strcmp(line, headline.data) == 0;
			if (!dup) {
				buf_addstr(out, "\n    - ");
				add_in_conda_words(out, line);
				buf_addstr(&seen, key.data);
			}
			buf_free(&key);
		}
		buf_free(&seen);
		buf_free(&headline);
	}
	queue_free(&rules);
}

static pkgrec_t *record_for(Pool *pool, Id p, err_t *err)
{
	Solvable *sv = pool_id2solvable(pool, p);
	const struct repo_info *info = sv->repo->appdata;
	/* repo_add_conda stores the record's key as the location "subdir/fn". */
	const char *fn = solvable_lookup_location(sv, NULL);
	if (fn && strrchr(fn, '/'))
		fn = strrchr(fn, '/') + 1;
	if (!info || !fn) {
		err_set(err, "solver chose %s, which has no repodata record (internal error)",
			pool_solvid2str(pool, p));
		return NULL;
	}
	/* libsolv keeps the .conda entry when both formats exist; look there first. */
	json_t *entry = json_object_get(json_object_get(info->root, "packages.conda"), fn);
	if (!entry)
		entry = json_object_get(json_object_get(info->root, "packages"), fn);
	if (!entry) {
		err_set(err, "%s/%s: record '%s' chosen by the solver is not in repodata", info->channel_url,
			info->subdir, fn);
		return NULL;
	}
	pkgrec_t *r = pkgrec_from_json(fn, entry, info->channel_url, info->subdir, err);
	if (!r)
		err_prefix(err, "%s/%s", info->channel_url, info->subdir);
	return r;
}

solution_t *solve_run(solver_t *s, const char *const *specs, size_t n_specs, err_t *err)
{
	Pool *pool = s->pool;
	Solver *solv = NULL;
	Transaction *trans = NULL;
	solution_t *sol = NULL;
	buf_t msg = BUF_INIT;
	Queue job;
	queue_init(&job);

	if (s->virtual_data)
		repodata_internalize(s->virtual_data);
	pool_addfileprovides(pool);
	pool_createwhatprovides(pool);
	for (size_t i = 0; i < n_specs; i++)
		if (add_spec_job(s, specs[i], &job, err) != 0)
			goto fail;
	/* Virtual packages describe the target machine: never up/downgraded or removed. */
	if (s->virtual_repo)
		queue_push2(&job, SOLVER_LOCK | SOLVER_SOLVABLE_REPO, s->virtual_repo->repoid);

	solv = solver_create(pool);
	solver_set_flag(solv, SOLVER_FLAG_STRICT_REPO_PRIORITY, 1);
	if (solver_solve(solv, &job) != 0) {
		explain_problems(solv, &msg);
		err_set(err, "%s", msg.data);
		goto fail;
	}
	trans = solver_create_transaction(solv);
	sol = calloc(1, sizeof *sol);
	if (!sol)
		abort();
	sol->recs = calloc((size_t)trans->steps.count + 1, sizeof *sol->recs);
	if (!sol->recs)
		abort();
	for (int i = 0; i < trans->steps.count; i++) {
		Id p = trans->steps.elements[i];
		if (transaction_type(trans, p, SOLVER_TRANSACTION_SHOW_ALL) != SOLVER_TRANSACTION_INSTALL)
			continue;
		if (pool_id2solvable(pool, p)->repo == s->virtual_repo)
			continue;
		pkgrec_t *r = record_for(pool, p, err);
		if (!r)
			goto fail;
		sol->recs[sol->n++] = r;
	}
	/* Deterministic order for every later stage (docs/layer-format.md). */
	qsort(sol->recs, sol->n, sizeof *sol->recs, pkgrec_cmp_name);
	goto out;
fail:
	solution_free(sol);
	sol = NULL;
out:
	if (trans)
		transaction_free(trans);
	if (solv)
		solver_free(solv);
	queue_free(&job);
	buf_free(&msg);
	return sol;
}

size_t solution_count(const solution_t *sol)
{
	return sol ? sol->n : 0;
}

const pkgrec_t *solution_get(const solution_t *sol, size_t i)
{
	return sol && i < sol->n ? sol->recs[i] : NULL;
}

const pkgrec_t *solution_find(const solution_t *sol, const char *name)
{
	for (size_t i = 0; sol && i < sol->n; i++)
		if (strcmp(sol->recs[i]->name, name) == 0)
			return sol->recs[i];
	return NULL;
}

void solution_free(solution_t *sol)
{
	if (!sol)
		return;
	for (size_t i = 0; i < sol->n; i++)
		pkgrec_free(sol->recs[i]);
	free(sol->recs);
	free(sol);
}

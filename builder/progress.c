/* progress.c — renders progress events and log lines on stderr (see progress_render.h). Events come
 * from library threads; one mutex guards the table of items in flight and the terminal. */
#include "progress_render.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "options.h"
#include "xalloc.h"

#define MAX_LIVE 64
#define PLAIN_EVERY_S 5.0 /* a running step gets a plain line at least this often */
#define JSON_BYTES_S 0.5  /* json: bytes events per item at most this often */
#define TTY_REDRAW_S 0.1

typedef enum mode { MODE_PLAIN, MODE_TTY, MODE_JSON, MODE_QUIET } mode_t_;

typedef struct item {
	char *step, *key;
	long long done, total, out; /* out: compressed bytes so far ("compress") */
	double started, last_line;  /* seconds (CLOCK_MONOTONIC) */
} item_t;

static struct {
	int is_setup;
	mode_t_ mode;
	pthread_mutex_t lock;
	item_t live[MAX_LIVE];
	size_t n_live;
	size_t n_drawn; /* tty: live lines on screen below the cursor's line */
	double last_draw;
	pthread_t ticker;
	pthread_cond_t wake; /* the ticker's wait: finish ends it at once */
	int has_ticker, stop;
} R = {.lock = PTHREAD_MUTEX_INITIALIZER};

static progress_sink_t sink;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "sha256:0123456789ab" for a digest, else the item as it is. */
static void short_item(const char *item, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%.*s", !strncmp(item, "sha256:", 7) ? 19 : 60, item);
	if (n < 0 || (size_t)n >= cap)
		out[cap - 1] = '\0';
}

static int is_step(const char *step, const char *name)
{
	return step && !strcmp(step, name);
}

/* What a live item has done: "37 / 120 packages" (install), "120.3 MB -> 40.1 MB"
 * (compress: bytes in -> out), "4.1 MB / 12.3 MB  33%" (bytes of a known total). */
static void describe_amount(const char *step, long long done, long long total, long long out,
			    char *buf, size_t cap)
{
	char a[32], b[32];
	cli_human_size(done, a, sizeof a);
	if (is_step(step, "install")) {
		snprintf(buf, cap, "%lld / %lld packages", done, total);
		return;
	}
	if (is_step(step, "compress")) {
		cli_human_size(out, b, sizeof b);
		snprintf(buf, cap, "%s -> %s", a, b);
		return;
	}
	cli_human_size(total, b, sizeof b);
	if (total > 0)
		snprintf(buf, cap, "%s / %s  %3d%%", a, b,
			 (int)(100.0 * (double)done / (double)total));
	else
		snprintf(buf, cap, "%s", a);
}

/* "upload sha256:0123456789ab  4.1 MB / 12.3 MB  33%  1.0 MB/s", "install linux-64  37 / 120
 * packages" */
static void describe(const item_t *it, char *out, size_t cap)
{
	char name[64], amount[96], rate[32];
	double secs = now_s() - it->started;
	short_item(it->key, name, sizeof name);
	describe_amount(it->step, it->done, it->total, it->out, amount, sizeof amount);
	if (is_step(it->step, "install")) {
		snprintf(out, cap, "%s %s  %s", it->step, name, amount);
		return;
	}
	cli_human_size(secs > 0.05 ? (long long)((double)it->done / secs) : 0, rate, sizeof rate);
	snprintf(out, cap, "%s %s  %s  %s/s", it->step, name, amount, rate);
}

static void tty_clear(void)
{
	for (size_t i = 0; i < R.n_drawn; i++)
		fputs("\033[1A\033[2K", stderr);
	R.n_drawn = 0;
}

static void tty_draw(void)
{
	char line[256];
	for (size_t i = 0; i < R.n_live; i++) {
		describe(&R.live[i], line, sizeof line);
		fprintf(stderr, "\033[2K  %s\n", line);
	}
	R.n_drawn = R.n_live;
	R.last_draw = now_s();
	fflush(stderr);
}

static item_t *find(const char *step, const char *key)
{
	for (size_t i = 0; i < R.n_live; i++)
		if (!strcmp(R.live[i].step, step) && !strcmp(R.live[i].key, key))
			return &R.live[i];
	return NULL;
}

static item_t *add(const progress_event_t *ev)
{
	item_t *it = find(ev->step, ev->item);
	if (it || R.n_live == MAX_LIVE)
		return it;
	it = &R.live[R.n_live++];
	*it = (item_t){xstrdup(ev->step), xstrdup(ev->item), 0, ev->total, 0, now_s(), now_s()};
	return it;
}

static void drop(item_t *it)
{
	free(it->step);
	free(it->key);
	*it = R.live[--R.n_live];
}

static void json_event(const char *event, const progress_event_t *ev, const char *msg)
{
	json_t *o = json_pack("{s:s, s:f}", "event", event, "time", now_s());
	if (ev) {
		json_object_set_new(o, "step", json_string(ev->step));
		json_object_set_new(o, "item", json_string(ev->item));
		json_object_set_new(o, "done", json_integer(ev->done));
		json_object_set_new(o, "total", json_integer(ev->total));
		if (is_step(ev->step, "compress"))
			json_object_set_new(o, "out", json_integer(ev->out));
		if (ev->status)
			json_object_set_new(o, "status", json_string(ev->status));
	}
	if (msg)
		json_object_set_new(o, "message", json_string(msg));
	char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	fprintf(stderr, "%s\n", s);
	fflush(stderr);
	free(s);
	json_decref(o);
}

/* The line a step's end leaves behind (tty, plain). */
static void end_line(const item_t *it, const progress_event_t *ev)
{
	char name[64], amount[96];
	short_item(ev->item, name, sizeof name);
	if (is_step(ev->step, "install") || is_step(ev->step, "compress"))
		describe_amount(ev->step, ev->done, ev->total, ev->out, amount, sizeof amount);
	else
		cli_human_size(ev->total >= 0 ? ev->total : ev->done, amount, sizeof amount);
	fprintf(stderr, "imgbuild: %s %s: %s %s (%.1f s)\n", ev->step, name, amount,
		ev->status ? ev->status : "done", it ? now_s() - it->started : 0.0);
}

/* An event's numbers into its live item. Counts of packages done arrive from several
 * workers in either order (progress_count_one): the largest wins. */
static void update_item(item_t *it, const progress_event_t *ev)
{
	if (!(is_step(ev->step, "install") && ev->done < it->done))
		it->done = ev->done;
	if (ev->total >= 0)
		it->total = ev->total;
	it->out = ev->out;
}

static void on_event_locked(const progress_event_t *ev)
{
	item_t *it = ev->kind == PROGRESS_START ? add(ev) : find(ev->step, ev->item);
	char line[256];
	if (ev->kind == PROGRESS_BYTES && !it)
		it = add(ev);
	if (it && ev->kind != PROGRESS_END)
		update_item(it, ev);
	switch (R.mode) {
	case MODE_JSON:
		if (ev->kind == PROGRESS_BYTES && it && now_s() - it->last_line < JSON_BYTES_S)
			break;
		if (it)
			it->last_line = now_s();
		json_event(ev->kind == PROGRESS_START   ? "start"
			   : ev->kind == PROGRESS_BYTES ? "bytes"
							: "end",
			   ev, NULL);
		break;
	case MODE_PLAIN:
		if (ev->kind == PROGRESS_START && it) {
			describe(it, line, sizeof line);
			fprintf(stderr, "imgbuild: %s: started\n", line);
		} else if (ev->kind == PROGRESS_END) {
			end_line(it, ev);
		}
		break;
	case MODE_TTY:
		if (ev->kind == PROGRESS_END) {
			tty_clear();
			end_line(it, ev);
		} else if (now_s() - R.last_draw < TTY_REDRAW_S && ev->kind == PROGRESS_BYTES) {
			break;
		}
		tty_clear();
		if (ev->kind == PROGRESS_END && it)
			drop(it);
		tty_draw();
		return;
	case MODE_QUIET: break;
	}
	if (ev->kind == PROGRESS_END && it)
		drop(it);
	fflush(stderr);
}

static void on_event(void *ud, const progress_event_t *ev)
{
	(void)ud;
	pthread_mutex_lock(&R.lock);
	on_event_locked(ev);
	pthread_mutex_unlock(&R.lock);
}

/* plain: a line for every step still running, at least every PLAIN_EVERY_S. */
/* Every quarter second, or at once when finish says stop: a command never waits out a tick
 * at exit (a sleep here used to add up to 250 ms to every command in plain mode). */
static void *ticker(void *ud)
{
	char line[256];
	(void)ud;
	pthread_mutex_lock(&R.lock);
	while (!R.stop) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += 250 * 1000 * 1000;
		if (until.tv_nsec >= 1000 * 1000 * 1000) {
			until.tv_sec++;
			until.tv_nsec -= 1000 * 1000 * 1000;
		}
		pthread_cond_timedwait(&R.wake, &R.lock, &until);
		if (R.stop)
			break;
		for (size_t i = 0; i < R.n_live; i++)
			if (now_s() - R.live[i].last_line >= PLAIN_EVERY_S - 0.5) {
				describe(&R.live[i], line, sizeof line);
				fprintf(stderr, "imgbuild: %s\n", line);
				R.live[i].last_line = now_s();
			}
		fflush(stderr);
	}
	pthread_mutex_unlock(&R.lock);
	return NULL;
}

static void finish(void)
{
	pthread_mutex_lock(&R.lock);
	R.stop = 1;
	if (R.has_ticker)
		pthread_cond_signal(&R.wake);
	if (R.mode == MODE_TTY)
		tty_clear();
	pthread_mutex_unlock(&R.lock);
	if (R.has_ticker)
		pthread_join(R.ticker, NULL);
}

void progress_setup(const char *mode, int is_quiet)
{
	if (R.is_setup)
		return;
	R.is_setup = 1;
	if (is_quiet)
		R.mode = MODE_QUIET;
	else if (mode && !strcmp(mode, "json"))
		R.mode = MODE_JSON;
	else if (mode && !strcmp(mode, "plain"))
		R.mode = MODE_PLAIN;
	else if (mode && !strcmp(mode, "tty"))
		R.mode = MODE_TTY;
	else
		R.mode = isatty(STDERR_FILENO) ? MODE_TTY : MODE_PLAIN;
	sink.fn = on_event;
	if (R.mode == MODE_PLAIN) {
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&R.wake, &ca);
		pthread_condattr_destroy(&ca);
		R.has_ticker = pthread_create(&R.ticker, NULL, ticker, NULL) == 0;
	}
	atexit(finish);
}

const progress_sink_t *progress_cli_sink(void)
{
	return R.is_setup ? &sink : NULL;
}

void progress_text_line(const char *kind, const char *msg)
{
	pthread_mutex_lock(&R.lock);
	if (R.mode == MODE_JSON && R.is_setup) {
		json_event(kind ? kind : "log", NULL, msg);
	} else {
		if (R.mode == MODE_TTY)
			tty_clear();
		fprintf(stderr, "imgbuild: %s%s%s\n", kind ? kind : "", kind ? ": " : "", msg);
		if (R.mode == MODE_TTY)
			tty_draw();
	}
	pthread_mutex_unlock(&R.lock);
}

void progress_log_line(const char *msg)
{
	progress_text_line(NULL, msg);
}

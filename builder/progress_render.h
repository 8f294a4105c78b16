/* progress_render.h — the CLI's renderer of library progress events (common/progress.h) and of its
 * log lines, on stderr only (stdout is the result's: docs/cli.md). Modes (--progress): tty =
 * one live line per item in flight (downloads and blob uploads: bytes, percent, rate, then
 * how each ended: uploaded, mounted, skipped; installs: packages done / total; each layer's
 * compression: bytes in -> out), redrawn in place, log lines scrolling above them;
 * plain = one line per step start and end, and a line for each step still running at least
 * every 5 s; json = one JSON object per line and event (start, bytes (at most 2 per second
 * per item), end, log). auto = tty when stderr is a terminal, else plain. One renderer per
 * process; thread-safe. */
#ifndef IMGBUILD_PROGRESS_RENDER_H
#define IMGBUILD_PROGRESS_RENDER_H

#include "progress.h"

/* mode: "auto", "tty", "plain", "json" or NULL (auto). -q: nothing but warnings, no live
 * lines. Call once, after parsing; the renderer is finished at exit. */
void progress_setup(const char *mode, int is_quiet);
/* The sink to hand to libraries (reg_opts_t.progress, ...). Borrowed, static. */
const progress_sink_t *progress_cli_sink(void);
/* A log line ("imgbuild: MESSAGE", or a json "log" event), between live lines. */
void progress_log_line(const char *msg);
/* Any other line: "imgbuild: KIND: MESSAGE" ("error", "hint"), or a json KIND event. */
void progress_text_line(const char *kind, const char *msg);

#endif

#!/usr/bin/env bash
# bench_shards.sh — CEP-16 sharded solve against a far-away channel: bench/gen_channel's channel
# (320k records) turned into shards (bench/shard_channel) and served by bench/latency_serve over
# loopback HTTP with DELAY ms before every answer (default 50). In the same run, RUNS times each:
#   imgbuild cold lock, DELAY ms   fresh cache: shard index + every shard of the closure fetched
#                                  (each breadth-first level's shards 4 at a time, conda/shard.c)
#   imgbuild cold lock, 0 ms       the same with no latency: what is not fetching
#   sequential fetching, DELAY ms  the very requests imgbuild made (from the server's log)
#                                  replayed one after another on one keep-alive connection:
#                                  what fetching alone costs a client that fetches one by one
#   --baseline BIN, DELAY ms       another imgbuild (e.g. a build of edfcd58^, whose shard
#                                  fetching was sequential), alternating with the current one;
#                                  its lock must be identical
# Medians; writes bench/out/shards/report.md, and with --write the BENCHMARKS.md section.
#
#   bench/bench_shards.sh [--runs N] [--records N] [--delay-ms N] [--baseline BIN] [--write] [--quick]
# --quick: 1 run, a 20k-record channel (checks the script end to end; numbers mean nothing).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
top=$bench_top
runs=3 records=320000 delay=50 baseline='' write=0
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --records) records=$2; shift 2 ;;
    --delay-ms) delay=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    --write) write=1; shift ;;
    --quick) runs=1 records=20000; shift ;;
    *) echo "usage: $0 [--runs N] [--records N] [--delay-ms N] [--baseline BIN] [--write] [--quick]" >&2; exit 2 ;;
  esac
done
cmdline="bench/bench_shards.sh --runs $runs --records $records --delay-ms $delay${baseline:+ --baseline $baseline}"
bin=$(bench_bin build-bench)
out=$top/bench/out/shards
mkdir -p "$out"
chan=$top/bench/out/synth-channel-$records
"$top/bench/gen_channel" "$chan" --records "$records"
"$top/bench/shard_channel" "$chan" "$out/channel-$records"

pids=()
cleanup() { local p; for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
start_server() { # DELAY_MS LOG -> sets PORT
  rm -f "$out/port" "$2"
  "$top/bench/latency_serve" --root "$out/channel-$records" --delay-ms "$1" --port-file "$out/port" \
    --log "$2" --max-seconds 7200 &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$out/port" ] && break; sleep 0.1; done
  PORT=$(cat "$out/port")
}
start_server "$delay" "$out/slow.log"; port_slow=$PORT
start_server 0 "$out/fast.log"; port_fast=$PORT

env_file() { # PORT FILE
  { echo "channels:"; echo "  - http://127.0.0.1:$1"; echo "  - nodefaults"; echo "dependencies:"
    echo "  - python=3.11"; echo "  - pytorch"; } >"$2"
}
env_file "$port_slow" "$out/slow.yml"
env_file "$port_fast" "$out/fast.yml"
now_ms() { date +%s%3N; }
# lock BIN ENV LOCK: one cold lock (fresh cache), its wall milliseconds on stdout
lock() {
  rm -rf "$out/cache"
  local t0; t0=$(now_ms)
  "$1" lock "$2" -o "$3" --format explicit --cuda 12.4 --cache-dir "$out/cache" >>"$out/lock.log" 2>&1 ||
    { echo "bench_shards: $1 lock $2 failed (see $out/lock.log)" >&2; exit 1; }
  echo $(( $(now_ms) - t0 ))
  rm -rf "$out/cache"
}
: >"$out/lock.log"
for f in t_slow t_fast t_seq t_base; do : >"$out/$f"; done
for r in $(seq "$runs"); do
  echo "bench_shards: run $r/$runs" >&2
  [ -z "$baseline" ] || lock "$baseline" "$out/slow.yml" "$out/base.lock" >>"$out/t_base"
  : >"$out/slow.log"
  lock "$bin" "$out/slow.yml" "$out/slow.lock" >>"$out/t_slow"
  cp "$out/slow.log" "$out/requests.log"
  lock "$bin" "$out/fast.yml" "$out/fast.lock" >>"$out/t_fast"
  # the replay's own requests go to the log too: it reads the copy taken above
  "$top/bench/latency_serve" --replay "$out/requests.log" --base "http://127.0.0.1:$port_slow" |
    awk '{printf "%.0f\n", $1 * 1000}' >>"$out/t_seq"
done
# the locks name the channel by URL: compare the package lines only
pkgs() { grep -o '[^/]*\.\(conda\|tar\.bz2\)' "$1" | sort; }
[ "$(pkgs "$out/slow.lock")" = "$(pkgs "$out/fast.lock")" ] || { echo "bench_shards: locks differ with and without latency" >&2; exit 1; }
[ -z "$baseline" ] || [ "$(pkgs "$out/slow.lock")" = "$(pkgs "$out/base.lock")" ] ||
  { echo "bench_shards: the baseline's lock differs" >&2; exit 1; }
nreq=$(grep -c '^GET' "$out/requests.log")
nshards=$(grep -c 'msgpack.zst 200$' "$out/requests.log")
npkgs=$(pkgs "$out/slow.lock" | wc -l)
m() { bench_median <"$out/$1"; }
ms=$(m t_slow) mf=$(m t_fast) mq=$(m t_seq)
brow=
[ -z "$baseline" ] || brow="| baseline \`$baseline\`, cold lock, $delay ms per request | $(m t_base) | $(paste -sd/ "$out/t_base") |
"
cat >"$out/report.md" <<REPORT
## Sharded solve with injected latency (bench/bench_shards.sh)

Command: \`$cmdline\` on $(date -u +%Y-%m-%d), $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg).
Channel: \`bench/gen_channel --records $records\` as CEP-16 shards (\`bench/shard_channel\`), served over
loopback HTTP by \`bench/latency_serve\` with $delay ms before every answer. Environment \`python=3.11 pytorch\`
(--cuda 12.4): $npkgs packages locked; imgbuild made $nreq GETs ($nshards of them shard index or shards). Cold = a fresh
cache per lock. Medians of $runs runs, all in the same run.

| what | median ms | per run ms |
|---|---|---|
| imgbuild cold lock, $delay ms per request | $ms | $(paste -sd/ "$out/t_slow") |
| imgbuild cold lock, no latency | $mf | $(paste -sd/ "$out/t_fast") |
| sequential fetching: the same $nreq GETs one after another, $delay ms each | $mq | $(paste -sd/ "$out/t_seq") |
${brow}
- Sequential fetching alone / imgbuild's whole cold lock at $delay ms: **$(awk -v a="$mq" -v b="$ms" 'BEGIN {printf "%.2f", a / b}')×** (above 1: imgbuild's solve, fetch included, beats fetching the same shards one by one).
- Latency cost of imgbuild's lock: $(awk -v a="$ms" -v b="$mf" 'BEGIN {printf "%.0f", a - b}') ms for $nreq requests ($(awk -v a="$ms" -v b="$mf" -v n="$nreq" -v d="$delay" 'BEGIN {printf "%.1f", (a - b) / d}') × the delay of one request).
REPORT
cat "$out/report.md"
if [ "$write" = 1 ]; then bench_write_section "## Sharded solve with injected latency" "$out/report.md"; fi

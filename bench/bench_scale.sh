#!/usr/bin/env bash
# bench_scale.sh — does a layer build stay linear in the environment's size? Synthetic PyTorch +
# CUDA environments (bench/gen_env) of each size (default 3.3 and 10 GB installed), packages
# already in the package cache; in the same run, RUNS times each size in turn: a cold imgbuild
# build with gzip, then with zstd (no layer cache; each cold build starts
# on a fresh journaled ext4, or after a sync and BENCH_SETTLE s: bench/lib.sh, bench_fs_up). Reports the medians,
# seconds per installed GB, peak RSS (/usr/bin/time -v), and each size's seconds per GB against the
# first size's (issue 14: the 10 GB one within 15%; peak RSS flat).
#
#   bench/bench_scale.sh [--runs N] [--sizes "3.3 10"] [--write] [--quick]
# --quick: 1 run of 0.3 and 0.2 GB, no settle time (checks the script end to end).
# Disk: each size needs about 3x its size free (channel, package cache, the image's layers).
# env: IMGBUILD_BIN (else build-bench/ is built), BENCH_FS and BENCH_SETTLE (bench/lib.sh)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
top=$bench_top
cd "$top"
runs=3 sizes="3.3 10" write=0 quick=0
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --write) write=1; shift ;;
    --quick) runs=1 sizes="0.3 0.2" quick=1; : "${BENCH_SETTLE:=0}"; shift ;;
    *) echo "usage: $0 [--runs N] [--sizes \"3.3 10\"] [--write] [--quick]" >&2; exit 2 ;;
  esac
done
cmdline="bench/bench_scale.sh --runs $runs --sizes \"$sizes\""
[ "$quick" = 0 ] || cmdline="bench/bench_scale.sh --quick"
[ -z "${BENCH_SETTLE:-}" ] || [ "$quick" = 1 ] || cmdline="BENCH_SETTLE=$BENCH_SETTLE $cmdline"
[ -z "${BENCH_FS:-}" ] || cmdline="BENCH_FS=$BENCH_FS $cmdline"
bin=$(bench_bin build-bench)
out="$top/bench/out/scale"
mkdir -p "$out"
log="$out/bench_scale.log"
# work: the sizes' caches, images and timings, on a fresh journaled ext4 when bench_fs_up can
# mount one (bench/lib.sh), else bench/out/scale itself
work=$out
bench_fs_up "$out/fs" 120
[ "$bench_fs" != loop ] || work="$out/fs"
: >"$log"
export SOURCE_DATE_EPOCH=0

# build SIZE COMP: one build of that size's environment into its own cache, timed
build() {
  local d="$top/bench/out/synth-${1}gb" R="$work/$1"
  /usr/bin/time -v -o "$R/time" "$bin" build "$d/environment.yml" --channel "file://$d/channel" --cuda 12.4 \
    --base scratch --compression "$2" --cache-dir "$R/cache" --output "oci:$R/img-$2.oci" -t bench:1 >>"$log" 2>&1 ||
    { echo "bench_scale: build of $1 GB ($2) failed (see $log)" >&2; exit 1; }
}
cold() { rm -rf "$work/$1/cache/layers" "$work/$1/cache/layer-cache" "$work/$1/cache/extracted"; bench_settle; }
for s in $sizes; do
  mkdir -p "$work/$s"
  bench/gen_env "$top/bench/out/synth-${s}gb" --total-gb "$s" >>"$log" 2>&1
  echo "bench_scale: $s GB: warming the package cache" >&2
  build "$s" gzip
  for c in gzip zstd; do : >"$work/$s/t_$c"; : >"$work/$s/rss_$c"; done
done
for r in $(seq "$runs"); do
  for s in $sizes; do
    for c in gzip zstd; do
      echo "bench_scale: run $r/$runs: $s GB, $c" >&2
      cold "$s"; build "$s" "$c"
      bench_wall "$work/$s/time" >>"$work/$s/t_$c"; bench_rss_mb "$work/$s/time" >>"$work/$s/rss_$c"
    done
  done
done

first=${sizes%% *}
per_gb() { # SIZE COMP: median seconds per installed GB
  local gbi; gbi=$(jq .installed_bytes "$top/bench/out/synth-${1}gb/stats.json")
  bench_median <"$work/$1/t_$2" | awk -v b="$gbi" '{printf "%.2f", $1 / (b / 1e9)}'
}
{
  echo "## Layer build scaling: synthetic environments of ${sizes// / and } GB (bench/bench_scale.sh)"
  echo
  echo "Command: \`$cmdline\` on $(date -u +%Y-%m-%d), $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Cold imgbuild builds (packages cached; no layer cache), medians of $runs runs, the sizes"
  echo "alternating within each run. s/GB is per installed GB; \"vs $first GB\" is that size's s/GB over the $first GB one's (target: within 15%)."
  echo
  echo "| installed GB | files | gzip s | gzip s/GB | gzip vs $first GB | gzip peak RSS | zstd s | zstd s/GB | zstd vs $first GB | zstd peak RSS |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for s in $sizes; do
    st="$top/bench/out/synth-${s}gb/stats.json"
    row="| $(jq '.installed_bytes / 1e9 * 100 | round / 100' "$st") | $(jq .files "$st")"
    for c in gzip zstd; do
      row="$row | $(bench_median <"$work/$s/t_$c" | xargs printf '%.2f') | $(per_gb "$s" "$c")"
      row="$row | $(awk -v a="$(per_gb "$s" "$c")" -v b="$(per_gb "$first" "$c")" 'BEGIN {printf "%.2f×", a / b}')"
      row="$row | $(sort -g "$work/$s/rss_$c" | tail -1) MB"
    done
    echo "$row |"
  done
} >"$out/report.md"
cat "$out/report.md"
if [ "$write" = 1 ]; then bench_write_section "## Layer build scaling" "$out/report.md"; fi

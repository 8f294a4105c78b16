#!/usr/bin/env bash
# Layer speed, packages already in the package cache, on two workloads:
#   synth  a synthetic PyTorch + CUDA environment (bench/gen_env, 3.3 GB installed by default)
#   torch  real binaries: Debian 12's PyTorch 1.13.1 + the full CUDA 11.8 runtime set repackaged
#          as conda packages (tests/fixtures/mktorch --cuda full, ~1.6 GB of CUDA libraries)
# In the same run, RUNS times each (per workload):
#   imgbuild cold build, gzip    (no layer cache: a fresh layers dir each run)
#   baseline, gzip               extract every package, then per imgbuild group `tar | pigz -p 2 -6`
#   compressor alone, gzip       the uncompressed tars of imgbuild's own layers (the very bytes a
#                                build compresses) through `pigz -p 2 -6`, and through imgbuild's
#                                own compress + hash + store sink (bench/compress_alone.c:
#                                chunked libdeflate at the build's level, 2 threads): the limit
#   imgbuild cold build, zstd; baseline `tar | zstd -3 -T2`; compressor alone (zstd -3 -T2 and
#                                imgbuild's zstd sink)
#   synth only: imgbuild rebuild after bumping one framework package (pytorch)
# Medians, ratios, compressed sizes and peak RSS (/usr/bin/time -v) go to bench/out/report-*.md
# and to BENCHMARKS.md (these sections only).
#
# usage: bench/bench_layers.sh [RUNS] [--workload synth|torch|all] [--total-gb N] [--quick] [--no-write]
#   RUNS         default 3
#   --total-gb   size of the synthetic environment (default 3.3; a size other than 3.3 writes
#                its own BENCHMARKS.md section, the 3.3 GB one is kept)
#   --quick      checks the script end to end in a few minutes: 1 run, a 0.3 GB synthetic
#                environment, a small real-binaries environment (python, numpy, cudart), no
#                settle time, BENCHMARKS.md untouched (numbers mean nothing)
# env: IMGBUILD_BIN (else build-bench/ is built); BENCH_FS (auto: the cold work on a fresh
#      journaled ext4 at bench/out/fs when root, root: on bench/out) and BENCH_SETTLE (seconds
#      before a cold command on the root filesystem, default 370): see bench/lib.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. bench/lib.sh
runs=3 workloads="synth torch" gb=3.3 quick=0 write=1
while [ $# -gt 0 ]; do
  case $1 in
    [0-9]*) runs=$1; shift ;;
    --workload) case $2 in all) workloads="synth torch" ;; synth|torch) workloads=$2 ;; *) echo "bench_layers: --workload synth|torch|all" >&2; exit 2 ;; esac; shift 2 ;;
    --total-gb) gb=$2; shift 2 ;;
    --quick) quick=1 runs=1 gb=0.3 write=0; : "${BENCH_SETTLE:=0}"; shift ;;
    --no-write) write=0; shift ;;
    *) echo "usage: $0 [RUNS] [--workload synth|torch|all] [--total-gb N] [--quick] [--no-write]" >&2; exit 2 ;;
  esac
done
cmdline="$([ -z "${BENCH_FS:-}" ] || echo "BENCH_FS=$BENCH_FS ")$([ -z "${BENCH_SETTLE:-}" ] || [ "$quick" = 1 ] || echo "BENCH_SETTLE=$BENCH_SETTLE ")bench/bench_layers.sh $runs$([ "$workloads" = "synth torch" ] || echo " --workload $workloads")$([ "$gb" = 3.3 ] || [ "$quick" = 1 ] || echo " --total-gb $gb")$([ "$quick" = 0 ] || echo " --quick")"
out="$top/bench/out"
mkdir -p "$out"
# work: where the cold work goes (package caches, builds, baselines, tars): a fresh journaled
# ext4 when bench_fs_up can mount one (bench/lib.sh), else bench/out itself
work=$out
bench_fs_up "$out/fs" 80
[ "$bench_fs" != loop ] || work="$out/fs"
for t in pigz zstd unzip bzip2 jq bc cc pkg-config /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "bench_layers: $t missing (run .ci/bootstrap)"; exit 1; }
done
bin=$(bench_bin build-bench)
export SOURCE_DATE_EPOCH=0
log="$out/bench_layers.log"
: >"$log"
echo "bench_layers: $cmdline" >&2

# imgbuild ENV CHANNEL OUTPUT TIMEFILE [args...]: one build under /usr/bin/time -v ($cache,
# and the workload's $base_args).
imgbuild() {
  local env=$1 chan=$2 dest=$3 tf=$4; shift 4
  # shellcheck disable=SC2086
  /usr/bin/time -v -o "$tf" "$bin" build "$env" --channel "file://$chan" --cuda 12.4 $base_args \
    --cache-dir "$cache" --output "oci:$dest" -t bench:1 "$@" >>"$log" 2>&1
}
wall() { bench_wall "$1"; }
rss_mb() { bench_rss_mb "$1"; }
median() { bench_median; }
manifest_of() { echo "$1/blobs/sha256/$(jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2)"; }
layer_sizes() { jq '[.layers[].size] | add' "$(manifest_of "$1")"; }
# cold: no layer cache: only the package archives are cached, as for the baseline (imgbuild
# extracts nothing since layer-format 4; <cache>/extracted is an older imgbuild's)
cold() { rm -rf "$cache/layers" "$cache/layer-cache" "$cache/extracted"; bench_settle; }
# Each cold timed command starts after bench_settle (bench/lib.sh: a sync and BENCH_SETTLE s
# after the last mass deletion; this machine's ext4 slows inode allocation after one), so
# neither tool pays for the other's cleanup.
fresh_baseline() { rm -rf "$work/baseline"; bench_settle; }
now() { date +%s.%N; }

# ---- workload setup ---------------------------------------------------------------------------
# load_groups IMAGE CHANNEL: the grouping imgbuild used (each layer holds conda-meta/<dist>.json
# of its packages) into $R/groups/N.dists, $ngroups, and archive_of[dist] = package file.
declare -A archive_of
load_groups() {
  local L=$1 chan=$2 i=0 d f b
  groups="$R/groups"
  rm -rf "$groups" && mkdir -p "$groups"
  for d in $(jq -r '.layers[].digest' "$(manifest_of "$L")" | cut -d: -f2); do
    i=$((i + 1))
    tar -tzf "$L/blobs/sha256/$d" | sed -n 's|.*/conda-meta/\(.*\)\.json$|\1|p' >"$groups/$i.dists"
  done
  ngroups=$i
  archive_of=()
  for f in "$chan"/*/*.conda "$chan"/*/*.tar.bz2; do
    [ -e "$f" ] || continue
    b=$(basename "$f"); b=${b%.conda}; b=${b%.tar.bz2}; archive_of[$b]=$f
  done
}

# baseline COMPRESSOR: extract every package of each group into its own tree, then tar each
# tree through the compressor (standard tools, same grouping, same machine, same run).
baseline() {
  local comp=$1 d="$work/baseline"
  mkdir -p "$d"
  for g in $(seq "$ngroups"); do
    mkdir -p "$d/tree$g"
    while read -r dist; do
      f=${archive_of[$dist]}
      case "$f" in
        *.conda) unzip -p "$f" "pkg-$dist.tar.zst" | zstd -q -d -c | tar -x -C "$d/tree$g" ;;
        *.tar.bz2) tar -x -j -f "$f" -C "$d/tree$g" --exclude 'info/*' ;;
      esac
    done <"$groups/$g.dists"
  done
  for g in $(seq "$ngroups"); do
    if [ "$comp" = gzip ]; then
      tar -c -C "$d/tree$g" . | pigz -p 2 -6 >"$d/layer$g"
    else
      tar -c -C "$d/tree$g" . | zstd -q -3 -T2 >"$d/layer$g"
    fi
  done
}
baseline_bytes() { du -cb "$work"/baseline/layer* | tail -1 | cut -f1; }

# ---- compressor alone (the physical limit) ----------------------------------------------------
# limit_prepare IMAGE: the uncompressed tars of IMAGE's layers into $R/tars/N.tar (not timed),
# and imgbuild's own compressor (bench/compress_alone.c against the same build's libraries).
limit_prepare() {
  local L=$1 i=0 d libdir
  rm -rf "$R/tars" && mkdir -p "$R/tars"
  for d in $(jq -r '.layers[].digest' "$(manifest_of "$L")" | cut -d: -f2); do
    i=$((i + 1))
    pigz -dc "$L/blobs/sha256/$d" >"$R/tars/$i.tar"
  done
  tar_bytes=$(du -cb "$R"/tars/*.tar | tail -1 | cut -f1)
  libdir=$(dirname "$bin")
  if [ ! -x "$out/compress_alone" ] || [ "$out/compress_alone" -ot "$libdir/libimgbuild_layers.a" ] ||
    [ "$out/compress_alone" -ot bench/compress_alone.c ]; then
    # shellcheck disable=SC2046
    cc -std=c11 -O2 -I layers -I common bench/compress_alone.c "$libdir/libimgbuild_layers.a" \
      "$libdir/libimgbuild_common.a" $(pkg-config --libs libarchive libcurl openssl jansson yaml-0.1 zlib libzstd libdeflate) \
      -lpthread -o "$out/compress_alone"
  fi
  if [ ! -x "$out/decompress_alone" ] || [ "$out/decompress_alone" -ot "$libdir/libimgbuild_pkg.a" ] ||
    [ "$out/decompress_alone" -ot bench/decompress_alone.c ]; then
    # shellcheck disable=SC2046
    cc -std=c11 -O2 -I pkg -I common bench/decompress_alone.c "$libdir/libimgbuild_pkg.a" \
      "$libdir/libimgbuild_common.a" $(pkg-config --libs libarchive libcurl openssl jansson yaml-0.1 zlib libzstd libdeflate) \
      -lpthread -o "$out/decompress_alone"
  fi
}
tars() { local i; for i in $(seq "$(find "$R/tars" -name '*.tar' | wc -l)"); do echo "$R/tars/$i.tar"; done; }
# limit_run gzip|zstd: times, on the same tars, the standard compressor (pigz -p 2 -6 or
# zstd -3 -T2) and imgbuild's own sink; appends seconds, RSS and sizes to $R/{t,rss,size}_lim_*.
# imgbuild's sink must give the digests of the build's own layers (same bytes, same compressor).
limit_run() {
  local comp=$1 ext std
  rm -rf "$R/lim" && mkdir -p "$R/lim/blobs"
  if [ "$comp" = gzip ]; then std="pigz -p 2 -6"; ext=gz; else std="zstd -q -3 -T2"; ext=zs; fi
  # shellcheck disable=SC2046,SC2016 # the inner script expands its own arguments
  /usr/bin/time -v -o "$R/time-lim-std" bash -c 'c=$1 d=$2; shift 2; for t; do $c <"$t" >"$d/$(basename "$t").c"; done' \
    _ "$std" "$R/lim" $(tars)
  wall "$R/time-lim-std" >>"$R/t_lim_std_$ext"; rss_mb "$R/time-lim-std" >>"$R/rss_lim_std_$ext"
  du -cb "$R"/lim/*.c | tail -1 | cut -f1 >"$R/size_lim_std_$ext"
  rm -f "$R"/lim/*.c
  # shellcheck disable=SC2046
  /usr/bin/time -v -o "$R/time-lim-own" "$out/compress_alone" "$comp" 0 0 "$R/lim/blobs" $(tars) >"$R/lim/own.out"
  wall "$R/time-lim-own" >>"$R/t_lim_own_$ext"; rss_mb "$R/time-lim-own" >>"$R/rss_lim_own_$ext"
  awk '/^compressed/ {print $2}' "$R/lim/own.out" >"$R/size_lim_own_$ext"
  bench_cpu "$R/time-lim-own" >>"$R/cpu_lim_own_$ext"
  local want got
  want=$(jq -r '.layers[].digest' "$(manifest_of "$R/img-$ext.oci")" | cut -d: -f2)
  got=$(awk '!/^compressed/ {print $1}' "$R/lim/own.out")
  [ "$want" = "$got" ] || echo "bench_layers: warning: imgbuild's $comp sink alone does not reproduce the build's layers (another level?)" >&2
  rm -rf "$R/lim"
}

# ---- one measured run -------------------------------------------------------------------------
# measure_run ENV CHANNEL [hook]: cold gzip build, HOOK (e.g. the rebuild), baseline gzip, gzip
# compressor alone, cold zstd build, baseline zstd, zstd compressor alone; appends to $R/*.
measure_run() {
  local env=$1 chan=$2 hook=${3:-}
  cold; imgbuild "$env" "$chan" "$R/img-gz.oci" "$R/time-gz"
  t_cold=$(wall "$R/time-gz")
  echo "$t_cold" >>"$R/t_img_gz"; rss_mb "$R/time-gz" >>"$R/rss_gz"
  [ -z "$hook" ] || "$hook"
  fresh_baseline; s=$(now); baseline gzip; e=$(now); echo "$e - $s" | bc >>"$R/t_base_gz"
  baseline_bytes >"$R/size_base_gz"
  rm -rf "$work/baseline"
  limit_run gzip
  cold; imgbuild "$env" "$chan" "$R/img-zs.oci" "$R/time-zs" --compression zstd
  wall "$R/time-zs" >>"$R/t_img_zs"; rss_mb "$R/time-zs" >>"$R/rss_zs"
  fresh_baseline; s=$(now); baseline zstd; e=$(now); echo "$e - $s" | bc >>"$R/t_base_zs"
  baseline_bytes >"$R/size_base_zs"
  rm -rf "$work/baseline"
  limit_run zstd
  decompress_run
}
# decompress_run: the environment's archives (largest first) through imgbuild's package reader
# on 2 threads, data dropped (bench/decompress_alone.c); appends seconds and CPU seconds.
decompress_run() {
  local dist
  # shellcheck disable=SC2046
  /usr/bin/time -v -o "$R/time-dec" "$out/decompress_alone" 2 $(cat "$groups"/*.dists | while read -r dist; do
    stat -c '%s %n' "${archive_of[$dist]}"; done | sort -rn | cut -d' ' -f2-) >"$R/dec.out"
  wall "$R/time-dec" >>"$R/t_dec"; bench_cpu "$R/time-dec" >>"$R/cpu_dec"
  awk '{print $2}' "$R/dec.out" >"$R/size_dec"
}
reset_results() { local f; for f in t_img_gz t_base_gz t_img_zs t_base_zs rss_gz rss_zs t_lim_std_gz t_lim_own_gz \
  t_lim_std_zs t_lim_own_zs rss_lim_std_gz rss_lim_own_gz rss_lim_std_zs rss_lim_own_zs t_rebuild rebuild_pct t_xwarm t_xnone t_dec cpu_dec cpu_lim_own_gz cpu_lim_own_zs; do : >"$R/$f"; done; }

# ---- report -----------------------------------------------------------------------------------
med2() { median <"$R/$1" | xargs printf '%.2f'; }
maxof() { sort -g "$R/$1" | tail -1; }
div() { awk -v a="$1" -v b="$2" -v p="${3:-2}" 'BEGIN {printf "%.*f\n", p, a / b}'; }
# per-run ratios (A of a run / B of the same run), "a/b/c"
per_run() { paste "$R/$1" "$R/$2" | while read -r a b; do echo "scale=2; $a / $b" | bc; done | paste -sd/; }
# floor_of CPU_S WALL_S: max(WALL_S, (CPU_S + the decompressor's median CPU seconds) / cores)
floor_of() {
  awk -v a="$1" -v w="$2" -v b="$(median <"$R/cpu_dec")" -v n="$(nproc)" 'BEGIN {f = (a + b) / n; printf "%.2f", (f > w ? f : w)}'
}
# summarise: the medians, sizes and ratios of $R as shell variables for the report
summarise() {
  size_img_gz=$(layer_sizes "$R/img-gz.oci"); size_img_zs=$(layer_sizes "$R/img-zs.oci")
  size_base_gz=$(cat "$R/size_base_gz"); size_base_zs=$(cat "$R/size_base_zs")
  m_img_gz=$(med2 t_img_gz); m_base_gz=$(med2 t_base_gz); m_img_zs=$(med2 t_img_zs); m_base_zs=$(med2 t_base_zs)
  m_ls_gz=$(med2 t_lim_std_gz); m_lo_gz=$(med2 t_lim_own_gz); m_ls_zs=$(med2 t_lim_std_zs); m_lo_zs=$(med2 t_lim_own_zs)
  rss_gz=$(maxof rss_gz); rss_zs=$(maxof rss_zs)
  rss_ls_gz=$(maxof rss_lim_std_gz); rss_lo_gz=$(maxof rss_lim_own_gz)
  rss_ls_zs=$(maxof rss_lim_std_zs); rss_lo_zs=$(maxof rss_lim_own_zs)
  ratio_gz=$(div "$m_base_gz" "$m_img_gz"); ratio_zs=$(div "$m_base_zs" "$m_img_zs")
  runs_gz=$(per_run t_base_gz t_img_gz); runs_zs=$(per_run t_base_zs t_img_zs)
  size_ratio_gz=$(div "$size_img_gz" "$size_base_gz" 3); size_ratio_zs=$(div "$size_img_zs" "$size_base_zs" 3)
  lim_gz=$(div "$m_img_gz" "$m_lo_gz"); lim_zs=$(div "$m_img_zs" "$m_lo_zs")
  lim_std_gz=$(div "$m_img_gz" "$m_ls_gz"); lim_std_zs=$(div "$m_img_zs" "$m_ls_zs")
  lim_runs_gz=$(per_run t_img_gz t_lim_own_gz); lim_runs_zs=$(per_run t_img_zs t_lim_own_zs)
  tar_gb=$(div "$tar_bytes" 1000000000); per_gb_gz=$(div "$m_img_gz" "$tar_gb"); per_gb_zs=$(div "$m_img_zs" "$tar_gb")
  # The floor on these cores: CPU seconds of compressor alone + decompressor alone, over cores
  m_dec=$(med2 t_dec); cores=$(nproc)
  # (never under the compressor alone's own time)
  floor_gz=$(floor_of "$(median <"$R/cpu_lim_own_gz")" "$m_lo_gz"); floor_zs=$(floor_of "$(median <"$R/cpu_lim_own_zs")" "$m_lo_zs")
  floor_r_gz=$(div "$m_img_gz" "$floor_gz"); floor_r_zs=$(div "$m_img_zs" "$floor_zs")
  floor_t_gz=$(div "$floor_gz" "$m_lo_gz"); floor_t_zs=$(div "$floor_zs" "$m_lo_zs")
}
# rows: the table of a summarised workload (the gzip level is the build's default)
rows() {
  cat <<ROWS
| what | median s | compressed bytes | peak RSS |
|---|---|---|---|
| imgbuild build, gzip (chunked libdeflate, default level 4) | $m_img_gz | $size_img_gz | ${rss_gz} MB |
| baseline: extract + tar \\| pigz -p 2 -6 | $m_base_gz | $size_base_gz | |
| compressor alone: imgbuild's gzip sink (libdeflate 4, 2 threads) over imgbuild's layer tars | $m_lo_gz | $(cat "$R/size_lim_own_gz") | ${rss_lo_gz} MB |
| compressor alone: pigz -p 2 -6 over the same tars | $m_ls_gz | $(cat "$R/size_lim_std_gz") | ${rss_ls_gz} MB |
| imgbuild build, --compression zstd | $m_img_zs | $size_img_zs | ${rss_zs} MB |
| baseline: extract + tar \\| zstd -3 -T2 | $m_base_zs | $size_base_zs | |
| compressor alone: imgbuild's zstd sink (level 3, 2 threads) over the same tars | $m_lo_zs | $(cat "$R/size_lim_own_zs") | ${rss_lo_zs} MB |
| compressor alone: zstd -3 -T2 over the same tars | $m_ls_zs | $(cat "$R/size_lim_std_zs") | ${rss_ls_zs} MB |
| decompressor alone: imgbuild's package reader (2 threads) over the environment's archives, data dropped | $m_dec | ($(cat "$R/size_dec") bytes out) | |
ROWS
}
bullets() {
  cat <<BULLETS
- gzip: baseline / imgbuild time, ratio of medians **$ratio_gz×** (per run $runs_gz; target ≥ 2×); size imgbuild / pigz **$size_ratio_gz** (target ≤ 1.05).
- zstd: baseline / imgbuild time, ratio of medians **$ratio_zs×** (per run $runs_zs; target ≥ 1×); size imgbuild / zstd **$size_ratio_zs**.
- Build / compressor alone (the physical limit, same tar bytes, $tar_gb GB): gzip **$lim_gz×** (per run $lim_runs_gz; against pigz -6 alone $lim_std_gz×), zstd **$lim_zs×** (per run $lim_runs_zs; against zstd -3 -T2 alone $lim_std_zs×) (target ≤ 1.3×).
- Floor of a cold build on $cores cores, (CPU seconds of imgbuild's compressor alone + decompressor alone) / cores (at least the compressor alone's time), medians: gzip $floor_gz s (**$floor_t_gz×** the compressor alone), zstd $floor_zs s (**$floor_t_zs×**); build / floor: gzip **$floor_r_gz×**, zstd **$floor_r_zs×**. A cold build must decompress every package and compress every layer; no install layout gets under this floor.
- Time per GB of layer tar: gzip $per_gb_gz s/GB, zstd $per_gb_zs s/GB. Peak RSS (max over runs): gzip $rss_gz MB, zstd $rss_zs MB (target ≤ 300 MB).
BULLETS
}
# cold_fs_line: how cold commands start, for the report
cold_fs_line() {
  if [ "$bench_fs" = loop ]; then
    echo "All the cold work (caches, builds, baselines, tars) is on a fresh journaled ext4 (a loop device with direct I/O on this VM's disk: its own ext4 has no journal, which makes inode allocation after a mass deletion several times dearer; see bench/lib.sh); each cold command starts after a sync."
  else
    echo "Every cold command (either tool) starts after a sync and ${BENCH_SETTLE:-370} s after the last mass file deletion: this machine's ext4 slows inode allocation after one (see bench/lib.sh)."
  fi
}
# done_workload: on the scratch filesystem, the workload's files go (the next one needs the room)
done_workload() { [ "$bench_fs" != loop ] || rm -rf "$R" "$cache"; }
section_out() { # HEAD FILE: to BENCHMARKS.md unless --quick/--no-write
  if [ "$write" = 1 ]; then bench_write_section "$1" "$2"; else echo "bench_layers: BENCHMARKS.md not written (--quick/--no-write)" >&2; fi
}

# ---- workload: synthetic ----------------------------------------------------------------------
synth_rebuild() { # the rebuild hook: right after the run's cold gzip build, against it
  imgbuild "$bump/environment.yml" "$bump/channel" "$R/img-bump.oci" "$R/time-rb"
  t_rb=$(wall "$R/time-rb")
  echo "$t_rb" >>"$R/t_rebuild"
  echo "scale=1; 100 * $t_rb / $t_cold" | bc >>"$R/rebuild_pct"
}
workload_synth() {
  local tag=synth head="## Layer speed, synthetic PyTorch + CUDA environment"
  if [ "$gb" != 3.3 ]; then tag="synth-${gb}gb" head="## Layer speed, synthetic environment of $gb GB"; fi
  synth="$out/synth-${gb}gb" R="$work/layers-$tag" cache="$work/lcache-$tag" # synth-*gb: shared with bench_scale, bench_push
  bump="$out/$tag-bump" # the environment with pytorch bumped (input data, as synth)
  base_args="--base scratch" # the synthetic packages need a glibc no base provides: build anyway
  mkdir -p "$R"
  bench/gen_env "$synth" --total-gb "$gb"
  local env_yml="$synth/environment.yml"
  echo "bench_layers: $tag: warming the package cache" >&2
  imgbuild "$env_yml" "$synth/channel" "$R/img-gz.oci" "$R/time-warm"
  load_groups "$R/img-gz.oci" "$synth/channel"
  limit_prepare "$R/img-gz.oci"
  reset_results
  # The rebuild (one framework package bumped, every other layer in the layer cache) is timed
  # in each run right after that run's cold gzip build, whose layers are the cache it starts
  # from; its share is taken against the same run's cold build (this
  # machine's speed drifts by 30% between runs minutes apart, so only paired figures are comparable).
  local hook=
  if [ "$runs" -gt 0 ]; then
    bench/gen_env "$bump" --bump pytorch --from "$synth" >/dev/null
    imgbuild "$bump/environment.yml" "$bump/channel" "$R/img-bump.oci" "$R/time-warm-bump"
    { [ -d "$cache/layers" ] || [ -d "$cache/layer-cache" ]; } && hook=synth_rebuild
  fi
  local r
  for r in $(seq "$runs"); do
    echo "bench_layers: $tag: run $r/$runs" >&2
    measure_run "$env_yml" "$synth/channel" $hook
  done
  summarise
  local rebuild_line="not measured: this imgbuild has no layer cache"
  if [ -n "$hook" ]; then
    rebuild_line="median $(median <"$R/t_rebuild") s; per run $(paste -sd/ "$R/rebuild_pct")% of the same run's cold gzip build, median **$(median <"$R/rebuild_pct")%** (target <= 15%)"
  fi
  local installed nfiles npkgs
  installed=$(jq .installed_bytes "$synth/stats.json"); nfiles=$(jq .files "$synth/stats.json"); npkgs=$(jq .packages "$synth/stats.json")
  cat <<REPORT | tee "$out/report-layers-$tag.md"
$head (bench/bench_layers.sh)

Command: \`$cmdline\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), load average at the end $(cut -d' ' -f1-3 /proc/loadavg).
Environment: \`bench/gen_env --total-gb $gb\` from pangeo-pytorch-notebook.2024.conda-lock.yml: $npkgs packages,
$(div "$installed" 1000000000) GB installed, $nfiles files, $ngroups layers; packages
already in the package cache; no layer cache (cold). Medians of $runs runs, all measured in the
same run. The baseline extracts every package with standard tools (unzip + zstd -d + tar,
tar -xj) into one tree per imgbuild group and compresses each group with \`tar | pigz -p 2 -6\`
or \`tar | zstd -3 -T2\`; imgbuild's time is the whole build (solve, verify, install with
prefix rewriting, layers, image: since layer-format 4 each package streams from its
archive into its layer's tar, nothing is extracted to disk). "Compressor alone" compresses the uncompressed tars of
imgbuild's own layers, read from disk (page cache), with nothing else: imgbuild's sink is
layers/blob.c (compress, hash, write + fsync) driven by bench/compress_alone.c and gives the
build's very layer digests. $(cold_fs_line)

$(rows)

$(bullets)
- Rebuild after bumping pytorch (the layer cache as that run's cold build left it; the frameworks layer is streamed again from its packages' archives): $rebuild_line.
REPORT
  section_out "$head" "$out/report-layers-$tag.md"
  done_workload
}

# ---- workload: real binaries (issue 13) -------------------------------------------------------
# The real-binaries environment: everything tests/fixtures/mktorch --cuda full makes (--quick:
# python, numpy and the CUDA runtime only). The first mktorch run downloads ~1.5 GB of Debian
# packages into ~/.cache/imgbuild-fixtures and repackages them; later runs only link files.
torch_env() {
  echo "name: torch-bench"
  echo "channels:"
  echo "  - nodefaults"
  echo "dependencies:"
  if [ "$quick" = 1 ]; then printf '  - %s\n' python=3.11 numpy cuda-cudart; return; fi
  printf '  - %s\n' python=3.11 pytorch numpy cuda-cudart libcublas cuda-nvrtc libcufft libcurand libcusparse libcusolver
}
workload_torch() {
  local head="## Layer speed, real binaries: Debian 12's PyTorch 1.13.1 + full CUDA 11.8 runtime"
  R="$work/torch" cache="$work/lcache-torch" base_args= # the channel brings its own C library
  local chan="$out/torch-channel" env_yml="$work/torch/environment.yml"
  mkdir -p "$R"
  echo "bench_layers: torch: tests/fixtures/mktorch --cuda full (downloads once, then offline)" >&2
  nice -n 10 tests/fixtures/mktorch "$chan" --cuda full >"$R/mktorch.list" 2>"$R/mktorch.log" ||
    { tail -20 "$R/mktorch.log"; echo "bench_layers: mktorch failed" >&2; exit 1; }
  torch_env >"$env_yml"
  echo "bench_layers: torch: warming the package cache" >&2
  imgbuild "$env_yml" "$chan" "$R/img-gz.oci" "$R/time-warm"
  load_groups "$R/img-gz.oci" "$chan"
  limit_prepare "$R/img-gz.oci"
  reset_results
  local r
  for r in $(seq "$runs"); do
    echo "bench_layers: torch: run $r/$runs" >&2
    measure_run "$env_yml" "$chan"
  done
  summarise
  local npkgs ncuda files
  npkgs=$(cat "$R"/groups/*.dists | wc -l)
  ncuda=$(cat "$R"/groups/*.dists | grep -cE '^(cuda-[a-z]+|libcu[a-z]+)-[^-]+-[^-]+$' || true)
  files=$(for t in $(tars); do tar -tf "$t"; done | grep -vc '/$' || true)
  cat <<REPORT | tee "$out/report-layers-torch.md"
$head (bench/bench_layers.sh)

Command: \`$cmdline\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m), load average at the end $(cut -d' ' -f1-3 /proc/loadavg).
Environment: \`tests/fixtures/mktorch --cuda full\` (Debian 12's real binaries repackaged as conda
packages, issue 13): \`$(sed -n '/^dependencies:/,$ s/^  - //p' "$env_yml" | paste -sd' ')\`, $npkgs packages ($ncuda of them
CUDA), $tar_gb GB of layer tar, $files files, $ngroups layers; few large files, unlike the synthetic
environment. Same method as the synthetic section above: packages already in the package cache, cold
layer cache, baselines and compressor alone in the same run, medians of $runs runs.

$(rows)

$(bullets)
REPORT
  section_out "$head" "$out/report-layers-torch.md"
  done_workload
}

for w in $workloads; do "workload_$w"; done
echo "bench_layers: done: $cmdline" >&2

#!/usr/bin/env bash
# Layer speed on a synthetic PyTorch + CUDA environment (bench/gen_env, >= 3 GB installed),
# packages already in the package cache. In the same run, RUNS times each:
#   imgbuild cold build, gzip    (no layer cache: a fresh layers dir each run)
#   baseline, gzip               extract every package, then per imgbuild group `tar | pigz -p 2 -6`
#   imgbuild cold build, zstd
#   baseline, zstd               the same extraction, then per group `tar | zstd -3 -T2`
#   imgbuild rebuild after bumping one framework package (pytorch), when a layer cache exists
# Medians, ratios, compressed sizes and imgbuild's peak RSS (/usr/bin/time -v) go to
# BENCHMARKS.md (this section only). usage: bench/bench_layers.sh [RUNS]   (default 3)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
runs=${1:-3}
out="$top/bench/out"
mkdir -p "$out"
for t in pigz zstd unzip bzip2 jq bc /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "bench_layers: $t missing (run .ci/bootstrap)"; exit 1; }
done
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
bench/gen_env "$out/synth"
bin="$top/build-bench/imgbuild"
env_yml="$out/synth/environment.yml"
cache="$out/lcache-bench"
export SOURCE_DATE_EPOCH=0
log="$out/bench_layers.log"
: >"$log"

# imgbuild ENV CHANNEL OUTPUT TIMEFILE [args...]: one build under /usr/bin/time -v.
imgbuild() {
  local env=$1 chan=$2 dest=$3 tf=$4; shift 4
  /usr/bin/time -v -o "$tf" "$bin" build "$env" --channel "file://$chan" --cuda 12.4 \
    --cache-dir "$cache" --output "oci:$dest" -t synth:1 "$@" >>"$log" 2>&1
}
wall() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$1"; }
rss_mb() { awk -F': ' '/Maximum resident set size/ {printf "%.0f\n", $2/1024}' "$1"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
layer_sizes() { local L=$1; jq '[.layers[].size] | add' "$L/blobs/sha256/$(jq -r '.manifests[0].digest' "$L/index.json" | cut -d: -f2)"; }
# cold: no layer cache and no extracted packages (<cache>/extracted, like conda's pkgs/<dist>/):
# only the package archives are cached, as for the baseline
cold() { rm -rf "$cache/layers" "$cache/layer-cache" "$cache/extracted"; settle; }
# ext4 on this machine (no journal) skips inodes freed in the last 30 s when it allocates
# new ones, which makes creating tens of thousands of files right after deleting as many
# several times slower (kernel time in recently_deleted). Each cold timed command starts
# 35 s after the last mass deletion, so neither tool pays for the other's cleanup.
settle() { sleep "${BENCH_SETTLE:-35}"; }
fresh_baseline() { rm -rf "$out/baseline"; settle; }

echo "bench_layers: warming the package cache" >&2
imgbuild "$env_yml" "$out/synth/channel" "$out/img-gz.oci" "$out/time-warm"

# The grouping imgbuild used: each layer holds conda-meta/<dist>.json of its packages.
groups="$out/groups"
rm -rf "$groups" && mkdir -p "$groups"
L="$out/img-gz.oci"
m="$L/blobs/sha256/$(jq -r '.manifests[0].digest' "$L/index.json" | cut -d: -f2)"
cfg="$L/blobs/sha256/$(jq -r '.config.digest' "$m" | cut -d: -f2)"
i=0
for d in $(jq -r '.layers[].digest' "$m" | cut -d: -f2); do
  i=$((i + 1))
  tar -tzf "$L/blobs/sha256/$d" | sed -n 's|.*/conda-meta/\(.*\)\.json$|\1|p' >"$groups/$i.dists"
done
ngroups=$i
declare -A archive_of
for f in "$out"/synth/channel/*/*.conda "$out"/synth/channel/*/*.tar.bz2; do
  b=$(basename "$f"); b=${b%.conda}; b=${b%.tar.bz2}; archive_of[$b]=$f
done

# baseline COMPRESSOR: extract every package of each group into its own tree, then tar each
# tree through the compressor (standard tools, same grouping, same machine, same run).
baseline() {
  local comp=$1 d="$out/baseline"
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
baseline_bytes() { du -cb "$out"/baseline/layer* | tail -1 | cut -f1; }

now() { date +%s.%N; }
for f in t_img_gz t_base_gz t_img_zs t_base_zs rss_gz rss_zs t_rebuild rebuild_pct t_xwarm t_xnone; do : >"$out/$f"; done
# The rebuild (one framework package bumped, every other layer in the layer cache) is timed
# in each run right after that run's cold gzip build, whose layers (and extracted packages)
# are the caches it starts from; its share is taken against the same run's cold build (this machine's speed drifts
# by 30% between runs minutes apart, so only paired figures are comparable).
has_lcache=0
if [ "$runs" -gt 0 ]; then
  bench/gen_env "$out/synth-bump" --bump pytorch --from "$out/synth" >/dev/null
  imgbuild "$out/synth-bump/environment.yml" "$out/synth-bump/channel" "$out/img-bump.oci" "$out/time-warm-bump"
  [ -d "$cache/layers" ] || [ -d "$cache/layer-cache" ] && has_lcache=1
fi
for r in $(seq "$runs"); do
  echo "bench_layers: run $r/$runs" >&2
  cold; imgbuild "$env_yml" "$out/synth/channel" "$out/img-gz.oci" "$out/time-gz"
  t_cold=$(wall "$out/time-gz")
  echo "$t_cold" >>"$out/t_img_gz"; rss_mb "$out/time-gz" >>"$out/rss_gz"
  if [ "$has_lcache" = 1 ]; then
    imgbuild "$out/synth-bump/environment.yml" "$out/synth-bump/channel" "$out/img-bump.oci" "$out/time-rb"
    t_rb=$(wall "$out/time-rb")
    echo "$t_rb" >>"$out/t_rebuild"
    echo "scale=1; 100 * $t_rb / $t_cold" | bc >>"$out/rebuild_pct"
  fi
  # Does the extract cache pay for itself (issue 14)? The same cold-layer gzip build with
  # the packages already extracted (what the cold build just left), then without the cache.
  rm -rf "$cache/layers" "$cache/layer-cache"; settle
  imgbuild "$env_yml" "$out/synth/channel" "$out/img-xw.oci" "$out/time-xw"; wall "$out/time-xw" >>"$out/t_xwarm"
  rm -rf "$cache/layers" "$cache/layer-cache" "$cache/extracted"; settle
  imgbuild "$env_yml" "$out/synth/channel" "$out/img-xn.oci" "$out/time-xn" --no-extract-cache; wall "$out/time-xn" >>"$out/t_xnone"
  fresh_baseline; s=$(now); baseline gzip; e=$(now); echo "$e - $s" | bc >>"$out/t_base_gz"
  size_base_gz=$(baseline_bytes)
  cold; imgbuild "$env_yml" "$out/synth/channel" "$out/img-zs.oci" "$out/time-zs" --compression zstd
  wall "$out/time-zs" >>"$out/t_img_zs"; rss_mb "$out/time-zs" >>"$out/rss_zs"
  fresh_baseline; s=$(now); baseline zstd; e=$(now); echo "$e - $s" | bc >>"$out/t_base_zs"
  size_base_zs=$(baseline_bytes)
done
rm -rf "$out/baseline"
size_img_gz=$(layer_sizes "$out/img-gz.oci")
size_img_zs=$(layer_sizes "$out/img-zs.oci")
m_img_gz=$(median <"$out/t_img_gz" | xargs printf '%.2f'); m_base_gz=$(median <"$out/t_base_gz" | xargs printf '%.2f')
m_img_zs=$(median <"$out/t_img_zs" | xargs printf '%.2f'); m_base_zs=$(median <"$out/t_base_zs" | xargs printf '%.2f')
rss_gz=$(sort -g "$out/rss_gz" | tail -1); rss_zs=$(sort -g "$out/rss_zs" | tail -1)
ratio_gz=$(echo "scale=2; $m_base_gz / $m_img_gz" | bc)
ratio_zs=$(echo "scale=2; $m_base_zs / $m_img_zs" | bc)
# per-run ratios (baseline and imgbuild of the same run), "a/b/c"
per_run() { paste "$out/$1" "$out/$2" | while read -r b i; do echo "scale=2; $b / $i" | bc; done | paste -sd/; }
runs_gz=$(per_run t_base_gz t_img_gz); runs_zs=$(per_run t_base_zs t_img_zs)
size_ratio_gz=$(echo "scale=3; $size_img_gz / $size_base_gz" | bc)
size_ratio_zs=$(echo "scale=3; $size_img_zs / $size_base_zs" | bc)

# Rebuild after one framework package changed: only meaningful with a layer cache.
rebuild_line="not measured: this imgbuild has no layer cache"
if [ "$has_lcache" = 1 ]; then
  m_rb=$(median <"$out/t_rebuild")
  m_pct=$(median <"$out/rebuild_pct")
  rebuild_line="median $m_rb s; per run $(paste -sd/ "$out/rebuild_pct")% of the same run's cold gzip build, median **$m_pct%** (target <= 15%)"
fi

m_xwarm=$(median <"$out/t_xwarm"); m_xnone=$(median <"$out/t_xnone")
installed=$(jq .installed_bytes "$out/synth/stats.json")
nfiles=$(jq .files "$out/synth/stats.json")
npkgs=$(jq .packages "$out/synth/stats.json")
cat <<REPORT | tee "$out/report-layers.md"
## Layer speed, synthetic PyTorch + CUDA environment (bench/bench_layers.sh)

Command: \`bench/bench_layers.sh $runs\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(uname -m).
Environment: \`bench/gen_env\` from pangeo-pytorch-notebook.2024.conda-lock.yml: $npkgs packages,
$(echo "scale=2; $installed / 1000000000" | bc) GB installed, $nfiles files, $ngroups layers; packages
already in the package cache; no layer cache and no extracted packages (cold). Medians of $runs runs, all measured in the
same run. The baseline extracts every package with standard tools (unzip + zstd -d + tar,
tar -xj) into one tree per imgbuild group and compresses each group with \`tar | pigz -p 2 -6\`
or \`tar | zstd -3 -T2\`; imgbuild's time is the whole build (solve, verify, install with
prefix rewriting, layers, image). Every cold command (either tool) starts 35 s after the
last mass file deletion: this machine's ext4 slows inode allocation after one (see the script).

| what | median s | compressed bytes | peak RSS |
|---|---|---|---|
| imgbuild build, gzip (chunked libdeflate, default level 4) | $m_img_gz | $size_img_gz | ${rss_gz} MB |
| baseline: extract + tar \\| pigz -p 2 -6 | $m_base_gz | $size_base_gz | |
| imgbuild build, --compression zstd | $m_img_zs | $size_img_zs | ${rss_zs} MB |
| baseline: extract + tar \\| zstd -3 -T2 | $m_base_zs | $size_base_zs | |

- gzip: baseline / imgbuild time, ratio of medians **$ratio_gz×** (per run $runs_gz; target ≥ 2×); size imgbuild / pigz **$size_ratio_gz** (target ≤ 1.05).
- zstd: baseline / imgbuild time, ratio of medians **$ratio_zs×** (per run $runs_zs; target ≥ 1×); size imgbuild / zstd **$size_ratio_zs**.
- Peak RSS (max over runs): gzip $rss_gz MB, zstd $rss_zs MB (target ≤ 300 MB).
- Extract cache (gzip, no layer cache): median $m_img_gz s cold (extracting into it), $m_xwarm s with every package already extracted, $m_xnone s with \`--no-extract-cache\`.
- Rebuild after bumping pytorch (layer cache and extracted packages as that run's cold build left them; the new pytorch is extracted): $rebuild_line.
REPORT

bm="$top/BENCHMARKS.md"
[ -f "$bm" ] || printf '# Benchmarks\n\nNumbers come from the scripts in bench/; each section names its command.\n\n' >"$bm"
python3 - "$bm" "$out/report-layers.md" <<'PY'
import sys, re
bm, rep = sys.argv[1], open(sys.argv[2]).read()
text = open(bm).read()
head = "## Layer speed, synthetic PyTorch + CUDA environment"
pat = re.compile(r"^" + re.escape(head) + r".*?(?=^## |\Z)", re.S | re.M)
text = pat.sub("", text).rstrip() + "\n\n" + rep
open(bm, "w").write(text)
PY

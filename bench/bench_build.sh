#!/usr/bin/env bash
# Warm-cache build of the demo environment (solve + install + layers + image; packages
# already in the package cache, no layer cache) against the same work done by standard tools in the same
# run: extract every package archive (bsdtar / unzip + zstd), then `tar | gzip -6` the tree.
# Prints medians of N runs and their ratio, and writes them to BENCHMARKS.md.
# usage: bench/bench_build.sh [RUNS] [--quick]   (default 5; --quick: 1 run, BENCHMARKS.md untouched)
# env: IMGBUILD_BIN (else build/ is built)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. bench/lib.sh
runs=5 write=1
while [ $# -gt 0 ]; do
  case $1 in
    [0-9]*) runs=$1; shift ;;
    --quick) runs=1 write=0; shift ;;
    *) echo "usage: $0 [RUNS] [--quick]" >&2; exit 2 ;;
  esac
done
out="$top/bench/out"
mkdir -p "$out"
bin=$(bench_bin build)
tests/fixtures/mkchannel "$out/channel" >/dev/null
export SOURCE_DATE_EPOCH=0
imgbuild() {
  "$bin" build examples/demo/environment.yml --channel "file://$out/channel" \
    --cache-dir "$out/cache" --output "oci:$out/demo.oci" -t demo:1.0 >/dev/null 2>&1
}
imgbuild # warm the package and repodata caches

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

baseline() {
  local d="$out/baseline"
  rm -rf "$d" && mkdir -p "$d/tree" "$d/x"
  for f in "$out"/cache/pkgs/sha256/*; do
    case "$f" in
      *.conda)
        rm -rf "$d/x" && mkdir -p "$d/x"
        (cd "$d/x" && unzip -q "$f" 'pkg-*.tar.zst')
        zstd -q -d -c "$d"/x/pkg-*.tar.zst | tar -x -C "$d/tree" ;;
      *.tar.bz2) tar -x -f "$f" -C "$d/tree" --exclude 'info/*' ;;
    esac
  done
  tar -c -C "$d" tree | gzip -6 >"$d/layer.tar.gz"
}

: >"$out/t_img"
: >"$out/t_base"
# only the package archives stay cached: no layer cache (the layer
# cache would otherwise turn every timed build into a cache hit)
cold() { rm -rf "$out/cache/layers" "$out/cache/layer-cache" "$out/cache/extracted"; }
for _ in $(seq "$runs"); do
  cold
  s=$(now); imgbuild; e=$(now); echo "$e - $s" | bc >>"$out/t_img"
  s=$(now); baseline; e=$(now); echo "$e - $s" | bc >>"$out/t_base"
done
m_img=$(median <"$out/t_img" | xargs printf '%.2f')
m_base=$(median <"$out/t_base" | xargs printf '%.2f')
ratio=$(echo "scale=2; $m_base / $m_img" | bc)
size_img=$(jq '[.layers[].size] | add' "$out/demo.oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$out/demo.oci/index.json" | cut -d: -f2)")
size_base=$(stat -c %s "$out/baseline/layer.tar.gz")
installed=$(du -sb "$out/baseline/tree" | cut -f1)
npkgs=$(ls "$out/cache/pkgs/sha256" | wc -l)

cat <<REPORT | tee "$out/report.md"
## Demo environment, warm package cache (bench/bench_build.sh)

Command: \`bench/bench_build.sh $runs\` on $(date -u +%Y-%m-%d), $(nproc) cores. $npkgs packages,
$(echo "scale=1; $installed / 1000000" | bc) MB installed. Medians of $runs runs, both measured in the same run.
Packages cached; no layer cache (cleared before each imgbuild run).

| what | median s | compressed bytes |
|---|---|---|
| imgbuild build (solve, install, layers, image) | $m_img | $size_img |
| baseline: extract all archives, then tar \\| gzip -6 | $m_base | $size_base |

Baseline / imgbuild time ratio: **$ratio** (above 1 means imgbuild is faster).
REPORT

# Replace this benchmark's section in BENCHMARKS.md, keep the others.
if [ "$write" = 1 ]; then bench_write_section "## Demo environment, warm package cache" "$out/report.md"; fi

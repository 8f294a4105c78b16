#!/usr/bin/env bash
# Warm-cache build of the demo environment (solve + install + layers + image; packages
# already in the package cache) against the same work done by standard tools in the same
# run: extract every package archive (bsdtar / unzip + zstd), then `tar | gzip -6` the tree.
# Prints medians of N runs and their ratio, and writes them to BENCHMARKS.md.
# usage: bench/bench_build.sh [RUNS]   (default 5)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
runs=${1:-5}
out="$top/bench/out"
mkdir -p "$out"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
tests/fixtures/mkchannel "$out/channel" >/dev/null
export SOURCE_DATE_EPOCH=0
imgbuild() {
  build/imgbuild build examples/demo/environment.yml --channel "file://$out/channel" \
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
for i in $(seq "$runs"); do
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

| what | median s | compressed bytes |
|---|---|---|
| imgbuild build (solve, install, layers, image) | $m_img | $size_img |
| baseline: extract all archives, then tar \\| gzip -6 | $m_base | $size_base |

Baseline / imgbuild time ratio: **$ratio** (above 1 means imgbuild is faster).
REPORT

# Replace this benchmark's section in BENCHMARKS.md, keep the others.
bm="$top/BENCHMARKS.md"
[ -f "$bm" ] || printf '# Benchmarks\n\nNumbers come from the scripts in bench/; each section names its command.\n\n' >"$bm"
python3 - "$bm" "$out/report.md" <<'PY'
import sys, re
bm, rep = sys.argv[1], open(sys.argv[2]).read()
text = open(bm).read()
head = "## Demo environment, warm package cache"
pat = re.compile(r"^" + re.escape(head) + r".*?(?=^## |\Z)", re.S | re.M)
text = pat.sub("", text).rstrip() + "\n\n" + rep
open(bm, "w").write(text)
PY

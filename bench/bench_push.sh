#!/usr/bin/env bash
# Push speed: a ~500 MB gzip image (a synthetic environment from bench/gen_env, built once to an
# OCI layout) pushed to Debian's docker-registry on 127.0.0.1 (plain HTTP), imgbuild against
# `skopeo copy oci:DIR docker://...` of the same layout, in the same run, RUNS times each:
#   first push   fresh registry storage (a new registry per run and tool), every blob uploaded
#   re-push      the same image again to that registry: every blob HEADed and skipped
# The two tools alternate which goes first. skopeo's blob-info cache is a tmpfs per run, as
# in the tests. Medians and ratios go to BENCHMARKS.md (this section only).
# usage: bench/bench_push.sh [RUNS] [--quick] [--no-write]   (RUNS default 3)
#   --quick: 1 run of a 0.3 GB image, BENCHMARKS.md untouched (checks the script end to end)
# env: PUSH_GB (gen_env --total-gb, 1.0), IMGBUILD_BIN (else build-bench-push/ is built)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. bench/lib.sh
runs=3 gb=${PUSH_GB:-1.0} write=1 quick=0
while [ $# -gt 0 ]; do
  case $1 in
    [0-9]*) runs=$1; shift ;;
    --quick) runs=1 gb=0.3 write=0 quick=1; shift ;;
    --no-write) write=0; shift ;;
    *) echo "usage: $0 [RUNS] [--quick] [--no-write]" >&2; exit 2 ;;
  esac
done
out="$top/bench/out/push"
mkdir -p "$out"
for t in skopeo docker-registry jq python3 unshare; do
  command -v "$t" >/dev/null || { echo "bench_push: $t missing (run .ci/bootstrap)"; exit 1; }
done
bin=$(bench_bin build-bench-push)
REG="$top/tests/fixtures/registry"
export SOURCE_DATE_EPOCH=0
log="$out/bench_push.log"
: >"$log"

# the image: built once (not timed)
synth="$top/bench/out/synth-${gb}gb" # shared with bench_layers, bench_scale
bench/gen_env "$synth" --total-gb "$gb" >>"$log" 2>&1
img="$out/img-${gb}gb.oci"
if [ ! -s "$img/index.json" ] || ! cmp -s "$synth/stamp.json" "$img.stamp"; then
  rm -rf "$img"
  # --base scratch: the synthetic packages need a C library that no base provides (build anyway)
  "$bin" build "$synth/environment.yml" --channel "file://$synth/channel" --base scratch \
    --cuda 12.4 --cache-dir "$out/cache" --output "oci:$img" -t bench:1 >>"$log" 2>&1
  cp "$synth/stamp.json" "$img.stamp"
fi
mdigest=$(jq -r '.manifests[0].digest' "$img/index.json")
manifest="$img/blobs/sha256/${mdigest#sha256:}"
nlayers=$(jq '.layers|length' "$manifest")
img_bytes=$(jq '([.layers[].size]|add) + .config.size' "$manifest")

regs=()
cleanup() { local d; for d in "${regs[@]}"; do "$REG" stop "$d" >/dev/null 2>&1 || true; rm -rf "$d"; done; }
trap cleanup EXIT
mkdir -p /var/lib/containers/cache

now() { date +%s.%N; }
# timed NAME CMD...: runs CMD, appends its wall seconds to $out/t_NAME
timed() {
  local name=$1; shift
  local t0 t1
  t0=$(now)
  "$@" >>"$log" 2>&1 || { echo "bench_push: $name failed (see $log)"; exit 1; }
  t1=$(now)
  echo "$t1 - $t0" | bc -l >>"$out/t_$name"
}
fresh_registry() { # NAME -> sets HOST
  local d="$out/reg-$1"
  "$REG" stop "$d" >/dev/null 2>&1 || true
  rm -rf "$d"
  regs+=("$d")
  HOST="127.0.0.1:$("$REG" start "$d")"
}
push_imgbuild() { # RUN [NAME THREADS]: THREADS=1 is the sequential baseline (before issue 14)
  local name=${2:-imgbuild} threads=${3:-}
  fresh_registry "$name-$1"
  rm -rf "$out/pushcache"
  IMGBUILD_PUSH_THREADS=$threads timed "${name}_first" "$bin" push "oci:$img" "$HOST/bench/img:1" --cache-dir "$out/pushcache"
  # the 1-thread column means something only if that client really was sequential: one connection
  local conns
  conns=$(clients "$out/reg-$name-$1/registry.log" "${HOST##*:}")
  if [ "$threads" = 1 ] && [ "$conns" != 1 ]; then
    echo "bench_push: IMGBUILD_PUSH_THREADS=1 pushed over $conns connections: the 1-thread column is not sequential" >&2
    exit 1
  fi
  IMGBUILD_PUSH_THREADS=$threads timed "${name}_again" "$bin" push "oci:$img" "$HOST/bench/img:1" --cache-dir "$out/pushcache"
  "$REG" stop "$out/reg-$name-$1"
}
clients() { # REGISTRY_LOG PORT: distinct client connections (remote 127.0.0.1:port) in the access log
  grep -o '127\.0\.0\.1:[0-9]*' "$1" | grep -v ":$2\$" | sort -u | wc -l
}
skopeo_copy() { # HOST: one skopeo copy with a private, empty blob-info cache
  unshare -m sh -c 'mount -t tmpfs tmpfs /var/lib/containers/cache && exec skopeo copy -q --dest-tls-verify=false "$@"' sh \
    "oci:$img" "docker://$1/bench/img:1"
}
push_skopeo() { # RUN
  fresh_registry "skopeo-$1"
  timed skopeo_first skopeo_copy "$HOST"
  timed skopeo_again skopeo_copy "$HOST"
  "$REG" stop "$out/reg-skopeo-$1"
}

rm -f "$out"/t_*
for i in $(seq 1 "$runs"); do
  if [ $((i % 2)) = 1 ]; then push_imgbuild "$i"; push_skopeo "$i"; else push_skopeo "$i"; push_imgbuild "$i"; fi
  push_imgbuild "$i" imgbuild1 1
done

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
m() { median <"$out/t_$1"; }
ib1=$(m imgbuild_first); ib2=$(m imgbuild_again); sk1=$(m skopeo_first); sk2=$(m skopeo_again)
sq1=$(m imgbuild1_first); sq2=$(m imgbuild1_again)
r1=$(echo "$sk1 / $ib1" | bc -l); r2=$(echo "$sk2 / $ib2" | bc -l)
mb=$(echo "$img_bytes / 1000000" | bc -l)
f() { printf '%.2f' "$1"; }
cat >"$out/report-push.md" <<REPORT
## Push to a local registry (bench/bench_push.sh)

Command: \`bench/bench_push.sh $runs$([ "$quick" = 0 ] || echo " --quick")\` on $(date -u +%Y-%m-%d), $(nproc) cores. Image: bench/gen_env
--total-gb $gb built once to an OCI layout, $nlayers gzip layers, $(f "$mb") MB of blobs. Target:
Debian's docker-registry (distribution 2.8) on 127.0.0.1, plain HTTP, fresh storage per run and
tool. Medians of $runs runs, both tools in the same run (alternating which goes first).

| what | imgbuild push s | imgbuild, 1 thread s | skopeo copy oci: → docker:// s | skopeo / imgbuild |
|---|---|---|---|---|
| first push (every blob uploaded) | $(f "$ib1") | $(f "$sq1") | $(f "$sk1") | **$(f "$r1")×** |
| re-push (every blob already there) | $(f "$ib2") | $(f "$sq2") | $(f "$sk2") | **$(f "$r2")×** |

Above 1× means imgbuild is faster. imgbuild: \`imgbuild push oci:DIR HOST/bench/img:1\` (the
same client \`imgbuild build -t\` uses: HEAD each blob, monolithic PUT up to 32 MiB, chunked
PATCH above; a manifest's blobs 4 at a time, \`IMGBUILD_PUSH_THREADS\`). "1 thread" is the same
binary with \`IMGBUILD_PUSH_THREADS=1\`, blobs one after another as before issue 14. Raw times:
bench/out/push/t_*.
REPORT

if [ "$write" = 1 ]; then bench_write_section "## Push to a local registry" "$out/report-push.md"; fi
cat "$out/report-push.md"

#!/usr/bin/env bash
# End to end, the layer cache (layers/lcache.c, builder/lcache_stage.c) and `imgbuild plan`
# (which shows cached and to-be-built layers without downloading packages): a rebuild with one
# package changed reuses every other layer without fetching or installing its packages (the
# package cache is emptied first, so a fetched package would show up there); the reused
# image is byte-identical to an uncached build; truncated and corrupted cache blobs are
# dropped and rebuilt, never served; kill -9 at several points leaves a valid cache; two
# builds sharing one cache directory at once both succeed.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_tools jq sha256sum
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-lcache.XXXXXX)
trap 'rm -rf "$T"' EXIT
export SOURCE_DATE_EPOCH=0

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
CH="file://$T/channel"
cat >"$T/recipe.yaml" <<'EOF'
version: 1
groups:
  - {name: base-python, closure_of: [python]}
  - {name: tools, match: [prefixdemo, linkdemo]}
  - {name: noarch, match: [hello-noarch]}
  - {name: data, rest: true}
EOF
env_with() { # env_with FILE DEMO_DATA_VERSION
  printf 'name: demo\nchannels: [%s]\ndependencies:\n  - python=3.11\n  - prefixdemo\n  - hello-noarch\n  - linkdemo\n  - demo-data=%s\n' "$CH" "$2" >"$1"
}
env_with "$T/a.yml" 1.0
env_with "$T/b.yml" 2.0
build() { "$BIN" build "$@" --recipe "$T/recipe.yaml"; }
# the group layers: layer 0 is the root filesystem layer (no base: docs/base-images.md), which
# is built on every run and never stored in the layer cache
layers_of() { jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2 |
  xargs -I{} jq -r '.layers[1:][].digest' "$1/blobs/sha256/{}"; }
manifest_of() { jq -r '.manifests[0].digest' "$1/index.json" 2>/dev/null; }
# every blob under its sha256 name, every entry pointing at a present blob of the right size
cache_is_valid() {
  local c=$1/layers f d s
  for f in "$c"/blobs/sha256/*; do
    [ -e "$f" ] || continue
    [ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || { echo "bad blob $f"; return 1; }
  done
  for f in "$c"/keys/*.json; do
    [ -e "$f" ] || continue
    d=$(jq -er '.digest' "$f") || { echo "bad entry $f"; return 1; }
    s=$(jq -er '.size' "$f") || return 1
    [ "$(stat -c %s "$c/blobs/sha256/${d#sha256:}" 2>/dev/null)" = "$s" ] || { echo "entry $f: blob missing/wrong size"; return 1; }
  done
  [ -z "$(ls -A "$c/tmp" 2>/dev/null)" ] || { echo "tmp not empty: $(ls "$c/tmp")"; return 1; }
}

# --- cold build, then a rebuild with demo-data bumped ----------------------------------
check "cold build" build "$T/a.yml" --cache-dir "$T/c" --output "oci:$T/a.oci" -t a:1
check_eq "cold build stores 4 layers" "4" "$(ls "$T/c/layers/keys" | wc -l)"
check "cache valid after a cold build" cache_is_valid "$T/c"
rm -rf "$T/c/pkgs"   # no package archive left: whatever the rebuild reads, it must fetch
"$BIN" plan "$T/b.yml" --recipe "$T/recipe.yaml" --cache-dir "$T/c" >"$T/plan.out" 2>"$T/plan.log"
check_eq "plan: succeeds" "0" "$?"
check_eq "plan: three layers cached locally, data to build" \
  "base-python cached|tools cached|noarch cached|data to" \
  "$(awk 'NR>1 && NF>=6 {print $1, $5}' "$T/plan.out" | head -4 | paste -sd'|')"
check "plan: estimated sizes and a summary" grep -q "4 layers, 3 cached, est. .* to build; 7 packages in /opt/conda/envs/demo" "$T/plan.out"
check_eq "plan: downloads no package" "" "$(ls "$T/c/pkgs/sha256" 2>/dev/null)"
build "$T/b.yml" --cache-dir "$T/c" --output "oci:$T/b.oci" -t b:1 >"$T/b.out" 2>"$T/b.log"
check_eq "rebuild succeeds" "0" "$?"
check "rebuild reports 3 of 4 layers reused and 1 package to fetch" \
  grep -q "layer cache: 3 of 4 layers reused; 1 of 7 packages to fetch and install" "$T/b.log"
check_eq "only the changed package is fetched" "fetched demo-data-2.0-0.conda" \
  "$(grep -oE '(fetched|cached ) [^ ]+' "$T/b.log" | sort | tr '\n' ' ' | sed 's/ $//')"
want=$(jq -r '.["packages.conda"]["demo-data-2.0-0.conda"].sha256' "$T/channel/noarch/repodata.json")
check_eq "the package cache holds only the changed package" "$want.conda" "$(ls "$T/c/pkgs/sha256" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
a=$(layers_of "$T/a.oci"); b=$(layers_of "$T/b.oci")
check_eq "the three unchanged layers are the same blobs" "$(sed -n 1,3p <<<"$a")" "$(sed -n 1,3p <<<"$b")"
if [ "$(sed -n 4p <<<"$a")" != "$(sed -n 4p <<<"$b")" ]; then e2e_ok "the data layer changed"; else e2e_bad "the data layer changed"; fi
check "layers from the cache are hardlinked, not copied" test "$(stat -c %h "$T/b.oci/blobs/sha256/$(sed -n 1p <<<"$b" | cut -d: -f2)")" -ge 2
check "uncached build of the same environment" build "$T/b.yml" --cache-dir "$T/fresh" --no-layer-cache --output "oci:$T/b2.oci" -t b:1
check_eq "reusing layers gives the same image as building them" "$(manifest_of "$T/b2.oci")" "$(manifest_of "$T/b.oci")"
check_eq "--no-layer-cache stores nothing" "" "$(ls "$T/fresh/layers/keys" 2>/dev/null)"

# --- a damaged cache blob is dropped and rebuilt, never served -------------------------------
ref=$(manifest_of "$T/a.oci")
base=$(sed -n 1p <<<"$a" | cut -d: -f2)
truncate -s 1000 "$T/c/layers/blobs/sha256/$base"
build "$T/a.yml" --cache-dir "$T/c" --output "oci:$T/t.oci" -t a:1 >/dev/null 2>"$T/t.log"
check "truncated blob: dropped with a reason" grep -q "layer base-python: cached copy dropped (its blob has the wrong size" "$T/t.log"
check_eq "truncated blob: rebuilt image is right" "$ref" "$(manifest_of "$T/t.oci")"
check "truncated blob: cache valid again" cache_is_valid "$T/c"
printf 'XXXX' | dd of="$T/c/layers/blobs/sha256/$base" bs=1 seek=5000 conv=notrunc status=none
build "$T/a.yml" --cache-dir "$T/c" --output "oci:$T/d.oci" -t a:1 >/dev/null 2>"$T/d.log"
check "corrupt blob: dropped with a reason" grep -q "layer base-python: cached copy dropped (its blob's sha256 does not match" "$T/d.log"
check_eq "corrupt blob: rebuilt image is right" "$ref" "$(manifest_of "$T/d.oci")"
check "corrupt blob: cache valid again" cache_is_valid "$T/c"
rm -f "$T/c/layers/blobs/sha256/$base"
build "$T/a.yml" --cache-dir "$T/c" --output "oci:$T/m.oci" -t a:1 >/dev/null 2>"$T/m.log"
check "missing blob: dropped with a reason" grep -q "cached copy dropped (its blob is missing)" "$T/m.log"
check_eq "missing blob: rebuilt image is right" "$ref" "$(manifest_of "$T/m.oci")"

# --- kill -9 at several points: the cache stays valid and the next build is right ------------
mkdir -p "$T/warm" && cp -a "$T/c/pkgs" "$T/warm/" 2>/dev/null
for delay in 0.2 0.5 0.8 1.1 1.4 1.8; do
  K="$T/kill-$delay"
  mkdir -p "$K" && cp -al "$T/warm/pkgs" "$K/" 2>/dev/null
  build "$T/a.yml" --cache-dir "$K" --output "oci:$K/o.oci" -t a:1 >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"; kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  check "kill -9 after ${delay}s: cache valid" cache_is_valid "$K"
  build "$T/a.yml" --cache-dir "$K" --output "oci:$K/o.oci" -t a:1 >/dev/null 2>&1
  check_eq "kill -9 after ${delay}s: next build is right" "$ref" "$(manifest_of "$K/o.oci")"
  check "kill -9 after ${delay}s: cache valid after the rebuild" cache_is_valid "$K"
done

# --- two builds at once through one cache directory --------------------------------------
S="$T/shared"
build "$T/a.yml" --cache-dir "$S" --output "oci:$T/p1.oci" -t a:1 >/dev/null 2>"$T/p1.log" & p1=$!
build "$T/a.yml" --cache-dir "$S" --output "oci:$T/p2.oci" -t a:1 >/dev/null 2>"$T/p2.log" & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
check_eq "concurrent builds both succeed" "0 0" "$r1 $r2"
check_eq "concurrent builds give the right image" "$ref $ref" "$(manifest_of "$T/p1.oci") $(manifest_of "$T/p2.oci")"
check "shared cache valid after concurrent builds" cache_is_valid "$S"
build "$T/a.yml" --cache-dir "$S" --output "oci:$T/p3.oci" -t a:1 >/dev/null 2>"$T/p3.log"
check "and a third build reuses all four layers" grep -q "layer cache: 4 of 4 layers reused" "$T/p3.log"

e2e_finish

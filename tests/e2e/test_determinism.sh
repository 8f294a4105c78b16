#!/usr/bin/env bash
# End to end, determinism (docs/layer-format.md): the same environment built twice — in two
# directories, from two copies of the channel at different paths, with two caches, as root
# and as nobody (else with two umasks), with another TZ, LANG/LC_ALL, umask and --jobs — gives
# the same digest for every layer, diff_id, config and manifest, for gzip and for zstd.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_tools jq
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-determinism.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
export SOURCE_DATE_EPOCH=1700000000

"$SRC/tests/fixtures/mkchannel" "$T/chan-one" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
mkdir -p "$T/elsewhere/deeper" && cp -a "$T/chan-one" "$T/elsewhere/deeper/chan-two"
cat >"$T/recipe.yaml" <<'EOF'
version: 1
groups:
  - {name: base-python, closure_of: [python]}
  - {name: tools, match: [prefixdemo, linkdemo]}
  - {name: rest, rest: true}
EOF
ENV="$SRC/examples/demo/environment.yml"

# Second builder: nobody when we are root and setpriv works, else ourselves with another umask.
as_other=()
other="umask 077 only"
if [ "$(id -u)" -eq 0 ] && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null &&
   setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$BIN"; then
  as_other=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  other="user nobody"
fi
# the second builder's own directory: a cache in a directory others may write is refused
mkdir -p "$T/two" && chmod -R a+rX "$T/elsewhere"
[ ${#as_other[@]} -eq 0 ] || chown 65534:65534 "$T/two"
echo "second build runs as: $other"

for comp in gzip zstd; do
  ( cd "$T" && umask 022 && TZ=UTC LANG=C LC_ALL=C \
    "$BIN" build "$ENV" --channel "file://$T/chan-one" --recipe "$T/recipe.yaml" --compression "$comp" \
      --cache-dir "$T/one/cache" --jobs 2 --output "oci:$T/one/$comp.oci" -t demo:1 ) >"$T/one-$comp.log" 2>&1
  check_eq "$comp: first build" "0" "$?"
  ( cd /tmp && umask 077 && TZ=Asia/Kathmandu LANG=de_DE.UTF-8 LC_ALL=C.UTF-8 HOME="$T/two" \
    "${as_other[@]}" "$BIN" build "$ENV" --channel "file://$T/elsewhere/deeper/chan-two" --recipe "$T/recipe.yaml" \
      --compression "$comp" --cache-dir "$T/two/cache" --jobs 1 --output "oci:$T/two/out/$comp.oci" -t demo:1 ) \
    >"$T/two-$comp.log" 2>&1
  check_eq "$comp: second build ($other, other dirs, TZ, locale, umask, --jobs 1)" "0" "$?"
  [ -s "$T/two/out/$comp.oci/index.json" ] || { cat "$T/two-$comp.log"; continue; }
  A="$T/one/$comp.oci" B="$T/two/out/$comp.oci"
  ma=$(jq -r '.manifests[0].digest' "$A/index.json"); mb=$(jq -r '.manifests[0].digest' "$B/index.json")
  check_eq "$comp: manifest digest" "$ma" "$mb"
  check_eq "$comp: config digest" "$(jq -r .config.digest "$A/blobs/sha256/${ma#sha256:}")" \
    "$(jq -r .config.digest "$B/blobs/sha256/${mb#sha256:}")"
  la=$(jq -r '.layers[] | "\(.digest) \(.size) \(.mediaType)"' "$A/blobs/sha256/${ma#sha256:}")
  lb=$(jq -r '.layers[] | "\(.digest) \(.size) \(.mediaType)"' "$B/blobs/sha256/${mb#sha256:}")
  check_eq "$comp: four layers (the root filesystem, three groups)" "4" "$(wc -l <<<"$la")"
  check_eq "$comp: every layer digest, size and media type" "$la" "$lb"
  ca=$(jq -r .config.digest "$A/blobs/sha256/${ma#sha256:}")
  cb=$(jq -r .config.digest "$B/blobs/sha256/${mb#sha256:}")
  check_eq "$comp: every diff_id" "$(jq -r '.rootfs.diff_ids[]' "$A/blobs/sha256/${ca#sha256:}")" \
    "$(jq -r '.rootfs.diff_ids[]' "$B/blobs/sha256/${cb#sha256:}")"
  check_eq "$comp: index.json bytes" "$(sha256sum <"$A/index.json")" "$(sha256sum <"$B/index.json")"
  # the cache key does not depend on the machine either: build one's cache serves build two's env
  if [ "$comp" = gzip ]; then
    "$BIN" build "$ENV" --channel "file://$T/elsewhere/deeper/chan-two" --recipe "$T/recipe.yaml" \
      --cache-dir "$T/one/cache" --jobs 1 --output "oci:$T/one/again.oci" -t demo:1 >/dev/null 2>"$T/again.log"
    check "a moved channel still hits the layer cache" grep -q "layer cache: 3 of 3 layers reused" "$T/again.log"
  fi
done
if [ -n "${as_other[*]}" ]; then
  check_eq "second build's files belong to nobody" "nobody" "$(stat -c %U "$T/two/out/gzip.oci/index.json")"
fi

e2e_finish

#!/usr/bin/env bash
# `imgbuild verify ENV.yml|LOCK IMAGE` (issue 15 part 7), the drift check: images of the demo
# environment from the fixture channel, in oci: layouts and in Debian's docker-registry (TLS +
# htpasswd, the referrers tag schema). verify passes on the built image from the environment
# file and from its locks (conda-lock YAML, @EXPLICIT), layer digests compared through the
# layer cache; after the file pins another demo-data it fails naming exactly that package; an
# image of another environment fails naming each missing package; another recipe fails naming
# the package in another layer; other layer bytes (compression level) fail on the layer
# digests; CycloneDX documents and a pip: wheel are read; every platform of a two-platform
# index is checked and a platform the image lacks is named; --format json parses; from the
# registry no layer blob is read (access log); no SBOM, an unreadable file and an unreachable
# registry exit 2 with a clear message.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_tools docker-registry htpasswd openssl jq
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-verify.XXXXXX)
REG="$SRC/tests/fixtures/registry"
cleanup() {
  [ -d "$T/reg" ] && "$REG" stop "$T/reg"
  [ -d "$T/idx" ] && "$SRC/tests/fixtures/pyindex" stop "$T/idx" >/dev/null 2>&1
  rm -rf "$T"
}
trap cleanup EXIT
export SOURCE_DATE_EPOCH=1700000000

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
CH="file://$T/channel"
env_file() { # env_file FILE DEPENDENCY...
  local f=$1; shift
  printf 'name: demo\nchannels: [nodefaults]\ndependencies: [%s]\n' "$(IFS=,; echo "$*")" >"$f"
}
env_file "$T/env.yml" python=3.11 prefixdemo hello-noarch linkdemo demo-data=1.0
env_file "$T/small.yml" python=3.11 prefixdemo
C=(--channel "$CH" --cache-dir "$T/cache")
verify() { "$BIN" verify "${C[@]}" "$@"; }

# --- oci: layouts ------------------------------------------------------------------------
check "build the image (SPDX SBOM) into a layout" "$BIN" build "$T/env.yml" "${C[@]}" --sbom spdx \
  --output "oci:$T/a.oci" -t demo:1
expect_rc "verify passes on the built image (exit 0)" 0 "oci:$T/a.oci:1 matches $T/env.yml" \
  verify "$T/env.yml" "oci:$T/a.oci:1"
verify --format json "$T/env.yml" "oci:$T/a.oci:1" >"$T/a.json"
check_eq "--format json: matches, no differences, both planned layers' digests compared (layer cache)" \
  "true 0 2 2" \
  "$(jq -r '"\(.matches) \(.differences | length) \(.platforms[0].layers) \(.platforms[0].layer_digests_compared)"' "$T/a.json")"
check_eq "... and names the image manifest" \
  "$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="1") | .digest' "$T/a.oci/index.json")" \
  "$(jq -r '.platforms[0].manifest' "$T/a.json")"

check "lock the environment (conda-lock YAML)" "$BIN" lock "$T/env.yml" --channel "$CH" --cache-dir "$T/cache" -o "$T/env.lock.yml"
check "lock the environment (@EXPLICIT)" "$BIN" lock "$T/env.yml" --channel "$CH" --cache-dir "$T/cache" -o "$T/env.txt"
expect_rc "verify LOCK (conda-lock YAML) passes on the image built from the file" 0 matches \
  verify "$T/env.lock.yml" "oci:$T/a.oci:1"
expect_rc "verify LOCK (@EXPLICIT) passes" 0 matches verify "$T/env.txt" "oci:$T/a.oci:1"
expect_rc "verify --lock LOCK IMAGE passes" 0 matches verify --lock "$T/env.lock.yml" "oci:$T/a.oci:1"

# the environment file changes: another demo-data version (both are in the fixture channel)
env_file "$T/env2.yml" python=3.11 prefixdemo hello-noarch linkdemo demo-data=2.0
expect_rc "after the file pins demo-data 2.0 verify fails (exit 1), naming it" 1 \
  '^  demo-data: version 2\.0 planned, 1\.0 in the image$' verify "$T/env2.yml" "oci:$T/a.oci:1"
verify --format json "$T/env2.yml" "oci:$T/a.oci:1" >"$T/d.json"
check_eq "... and only demo-data's fields differ (json)" "demo-data" \
  "$(jq -r '[.differences[] | select(.kind=="package-changed") | .name] | unique | join(",")' "$T/d.json")"
check_eq "... version 2.0 planned, 1.0 in the image; matches false" "false 2.0 1.0" \
  "$(jq -r '"\(.matches) " + (.differences[] | select(.field=="version") | "\(.planned) \(.image)")' "$T/d.json")"

check "build an image of another environment" "$BIN" build "$T/small.yml" "${C[@]}" --sbom spdx \
  --output "oci:$T/small.oci" -t demo:1
verify --format json "$T/env.yml" "oci:$T/small.oci:1" >"$T/s.json"; rc=$?
check_eq "verify against the other environment's image exits 1" 1 "$rc"
check_eq "... naming each package the image lacks" "demo-data hello-noarch linkdemo" \
  "$(jq -r '[.differences[] | select(.kind=="package-missing") | .name] | join(" ")' "$T/s.json")"
expect_rc "... in the text form too, with its planned layer" 1 '^  hello-noarch [^ ]+ [^ ]+: planned \(layer rest\), not in the image$' \
  verify "$T/env.yml" "oci:$T/small.oci:1"
check_eq "the reverse check names the image's extra packages" "demo-data hello-noarch linkdemo" \
  "$(verify --format json "$T/small.yml" "oci:$T/a.oci:1" | jq -r '[.differences[] | select(.kind=="package-extra") | .name] | join(" ")')"

# the layer plan: another recipe puts demo-data in a layer of its own
cat >"$T/recipe.yaml" <<'EOF'
version: 1
groups:
  - name: base-python
    closure_of: [python]
  - name: data
    match: [demo-data]
  - name: rest
    rest: true
EOF
verify --format json --recipe "$T/recipe.yaml" "$T/env.yml" "oci:$T/a.oci:1" >"$T/r.json"; rc=$?
check_eq "verify with another recipe exits 1: demo-data planned in layer data, the layer missing" \
  "1 layer-missing:data package-layer:demo-data:data:rest" \
  "$rc $(jq -r '[.differences[] | select(.kind=="package-layer" or .kind=="layer-missing") |
     .kind + ":" + .name + (if .field then ":" + .planned + ":" + .image else "" end)] | sort | join(" ")' "$T/r.json")"
expect_rc "... in the text form: demo-data planned in layer data, in rest in the image" 1 \
  '^  demo-data: planned in layer data, in layer rest in the image$' \
  verify --recipe "$T/recipe.yaml" "$T/env.yml" "oci:$T/a.oci:1"

# layer digests: an image whose layers were compressed otherwise holds the same packages, but
# the layer cache's layers under verify's keys (default level) have other digests
check "build with --compression-level 9" "$BIN" build "$T/env.yml" "${C[@]}" --sbom spdx \
  --compression-level 9 --output "oci:$T/l9.oci" -t demo:1
verify --format json "$T/env.yml" "oci:$T/l9.oci:1" >"$T/l9.json"; rc=$?
check_eq "verify with the default level exits 1, naming each layer's digest (and no package)" \
  "1 layer-digest:base-python layer-digest:rest" \
  "$rc $(jq -r '[.differences[] | .kind + ":" + .name] | join(" ")' "$T/l9.json")"
expect_rc "... and passes with --compression-level 9" 0 matches \
  verify --compression-level 9 "$T/env.yml" "oci:$T/l9.oci:1"

check "build with a CycloneDX SBOM" "$BIN" build "$T/env.yml" "${C[@]}" --sbom cyclonedx \
  --output "oci:$T/c.oci" -t demo:1
expect_rc "verify reads CycloneDX documents too (versions, builds, hashes)" 0 matches \
  verify "$T/env.yml" "oci:$T/c.oci:1"

# a pip: section: the wheel is planned (and read back) as a package of kind pip
"$SRC/tests/fixtures/mkwheels" "$T/wheels" >"$T/mkwheels.log" 2>&1 ||
  { tail -20 "$T/mkwheels.log"; echo "FAIL: fixture wheels could not be built"; exit 1; }
port=$("$SRC/tests/fixtures/pyindex" start "$T/wheels" "$T/idx") ||
  { echo "FAIL: fixture index did not start"; exit 1; }
printf 'name: piptest\nchannels: [nodefaults]\ndependencies:\n  - python=3.11\n  - pip:\n    - six==1.16.0\n' >"$T/pip.yml"
PI=(--pypi-index "http://127.0.0.1:$port/simple/")
check "build an environment with a pip: section" "$BIN" build "$T/pip.yml" "${C[@]}" "${PI[@]}" \
  --sbom spdx --output "oci:$T/pip.oci" -t p:1
expect_rc "verify passes on it" 0 matches verify "${PI[@]}" "$T/pip.yml" "oci:$T/pip.oci:1"
expect_rc "verify --ignore-pip names the wheel as extra" 1 '^  six 1\.16\.0 pypi_0: in the image \(layer [a-z-]+\), not planned$' \
  verify "${PI[@]}" --ignore-pip "$T/pip.yml" "oci:$T/pip.oci:1"
"$SRC/tests/fixtures/pyindex" stop "$T/idx" >/dev/null 2>&1

check "build without an SBOM" "$BIN" build "$T/env.yml" "${C[@]}" --output "oci:$T/n.oci" -t demo:1
expect_rc "verify of an image without an SBOM exits 2, saying why" 2 'no SBOM is attached.*--sbom spdx' \
  verify "$T/env.yml" "oci:$T/n.oci:1"
expect_rc "a missing environment file exits 2, naming it" 2 "$T/nope.yml" verify "$T/nope.yml" "oci:$T/a.oci:1"
printf 'name: demo\ndependencies: [python=3.11\n' >"$T/bad.yml"
expect_rc "a malformed environment file exits 2, naming it" 2 "bad.yml" verify "$T/bad.yml" "oci:$T/a.oci:1"
expect_rc "a directory that is no layout exits 2" 2 'is not an OCI image layout' verify "$T/env.yml" "oci:$T/none"
expect_rc "one argument only is a usage error (exit 2)" 2 'needs an environment file' "$BIN" verify "$T/env.yml"

# --- registry (referrers tag schema) -----------------------------------------------------
P=$("$REG" start "$T/reg" --tls --htpasswd u:p) || { echo "FAIL: registry did not start"; exit 1; }
H="127.0.0.1:$P"
R=(--creds u:p --ca-cert "$T/reg/tls/crt.pem")
check "push the image (SBOM by default)" "$BIN" build "$T/env.yml" "${C[@]}" "${R[@]}" -t "$H/team/demo:1"
layers=$("$BIN" inspect "${R[@]}" --format json "$H/team/demo:1" | jq -r '.platforms[0].layers[].digest')
mark=$(wc -l <"$T/reg/registry.log")
expect_rc "verify passes on the pushed image" 0 "$H/team/demo:1 matches" verify "${R[@]}" "$T/env.yml" "$H/team/demo:1"
expect_rc "verify LOCK passes on the pushed image" 0 matches verify "${R[@]}" "$T/env.lock.yml" "$H/team/demo:1"
expect_rc "verify fails on the pushed image after the change, naming demo-data" 1 \
  '^  demo-data: version 2\.0 planned, 1\.0 in the image$' verify "${R[@]}" "$T/env2.yml" "$H/team/demo:1"
gets=0
for d in $layers; do
  gets=$((gets + $(tail -n +"$((mark + 1))" "$T/reg/registry.log" | grep -cE "\"GET /v2/[^ ]*/blobs/$d")))
done
check_eq "no layer blob was downloaded (registry access log)" 0 "$gets"

printf 'name: multi\nchannels: [nodefaults]\ndependencies: [demo-data=1.0]\n' >"$T/multi.yml"
check "a two-platform push" "$BIN" build "$T/multi.yml" "${C[@]}" --platform linux/amd64,linux/arm64 \
  "${R[@]}" -t "$H/team/multi:1"
check_eq "verify checks every platform given: both match" "0 linux/amd64,linux/arm64" \
  "$(verify "${R[@]}" --format json --platform linux/amd64,linux/arm64 "$T/multi.yml" "$H/team/multi:1" >"$T/m.json"; echo $?) $(jq -r '[.platforms[].platform] | join(",")' "$T/m.json")"
verify "${R[@]}" --format json --platform linux/arm64 "$T/multi.yml" "$H/team/demo:1" >"$T/p.json"; rc=$?
check_eq "a platform the image (amd64 only) lacks is the one difference (exit 1)" \
  "1 platform-missing:linux/arm64 1" \
  "$rc $(jq -r '([.differences[] | .kind + ":" + .platform] | join(" ")) + " \(.platforms[0].packages)"' "$T/p.json")"
expect_rc "... named in the text form" 1 '^  platform linux/arm64: not in the image$' \
  verify "${R[@]}" --platform linux/arm64 "$T/multi.yml" "$H/team/demo:1"

expect_rc "an unknown tag exits 2, naming it" 2 'demo.*9|9.*demo' verify "${R[@]}" "$T/env.yml" "$H/team/demo:9"
expect_rc "an unreachable registry exits 2, naming it" 2 '127\.0\.0\.1:1' \
  verify --insecure-registry 127.0.0.1:1 "$T/env.yml" 127.0.0.1:1/team/demo:1

e2e_finish

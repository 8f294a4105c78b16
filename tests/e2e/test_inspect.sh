#!/usr/bin/env bash
# `imgbuild inspect` and `imgbuild diff` (issue 15 parts 5-6): two images of the demo
# environment that differ only in demo-data (1.0 vs 2.0, both in the fixture channel), read from
# oci: layouts and from Debian's docker-registry (TLS + htpasswd; no referrers API, so the
# referrers tag schema). inspect lists every package with the layer the per-layer SBOM puts it
# in (checked against the SBOM documents read with jq, and against the image's conda-meta read
# back with umoci), the same from the registry without one layer blob GET (the access log);
# diff names exactly demo-data and shows the other layers shared, exit 1, and 0 for the same
# image; CycloneDX and no-SBOM images; a pip: wheel is of kind pip; one section per platform of a two-platform push;
# unknown repository, unknown tag and unreachable registry exit 2 with a clear message.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_tools umoci docker-registry htpasswd openssl jq curl
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-inspect.XXXXXX)
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
for v in 1.0 2.0; do
  printf 'name: demo\nchannels: [nodefaults]\ndependencies: [python=3.11, prefixdemo, hello-noarch, linkdemo, demo-data=%s]\n' \
    "$v" >"$T/env-$v.yml"
done
build() { "$BIN" build "$T/env-$1.yml" --channel "$CH" --cache-dir "$T/cache" "${@:2}"; }
blob() { cat "$1/blobs/sha256/${2#sha256:}"; }
# "<layer digest> <name>=<version>=<build>" per package, from inspect --format json
inspect_pkgs() { jq -r '.platforms[0].layers[] | .digest as $d | .packages[] | "\($d) \(.name)=\(.version)=\(.build)"' | sort; }

# --- oci: layouts ------------------------------------------------------------------------
check "build A (demo-data 1.0) with an SPDX SBOM into a layout" build 1.0 --sbom spdx --output "oci:$T/a.oci" -t demo:1
check "build B (demo-data 2.0)" build 2.0 --sbom spdx --output "oci:$T/b.oci" -t demo:1
check "inspect oci:A" "$BIN" inspect "oci:$T/a.oci:1"
"$BIN" inspect --format json "oci:$T/a.oci:1" >"$T/a.json"
mdig=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="1") | .digest' "$T/a.oci/index.json")
check_eq "inspect names the image manifest and its SBOM" "$mdig spdx" \
  "$(jq -r '.platforms[0] | .manifest + " " + .sbom' "$T/a.json")"
check_eq "inspect lists the manifest's layers in order, with their sizes" \
  "$(blob "$T/a.oci" "$mdig" | jq -r '[.layers[] | .digest + ":" + (.size|tostring)] | join(" ")')" \
  "$(jq -r '[.platforms[0].layers[] | .digest + ":" + (.size|tostring)] | join(" ")' "$T/a.json")"
# the packages of each layer as the attached per-layer SPDX documents list them (read with jq)
ridx=$(jq -r --arg t "sha256-${mdig#sha256:}" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]==$t) | .digest' "$T/a.oci/index.json")
art=$(blob "$T/a.oci" "$ridx" | jq -r '.manifests[0].digest')
blob "$T/a.oci" "$art" | jq -r '.layers[1:][] | .digest + " " + .annotations["io.imgbuild.layer.digest"]' |
  while read -r doc layer; do
    blob "$T/a.oci" "$doc" | jq -r --arg l "$layer" '.packages[] | select(.SPDXID|startswith("SPDXRef-Package-")) |
      "\($l) \(.name)=\(.versionInfo)=" + ([.externalRefs[].referenceLocator | capture("build=(?<b>[^&]*)").b][0])'
  done | sort >"$T/sbom-pkgs"
inspect_pkgs <"$T/a.json" >"$T/a-pkgs"
check_eq "inspect lists every package with its layer, as the per-layer SBOMs say" "$(cat "$T/sbom-pkgs")" "$(cat "$T/a-pkgs")"
check "umoci unpacks A" umoci unpack --image "$T/a.oci:1" "$T/bundle"
check_eq "inspect's packages are the installed ones (conda-meta)" \
  "$(for f in "$T/bundle/rootfs/opt/conda/envs/demo/conda-meta"/*.json; do jq -r '.name + "=" + .version' "$f"; done | sort)" \
  "$(cut -d' ' -f2 "$T/a-pkgs" | cut -d= -f1,2 | sort)"
check_eq "the layer groups come from the SBOM (recipe groups)" "rootfs base-python rest" \
  "$(jq -r '[.platforms[0].layers[].group] | join(" ")' "$T/a.json")"
check_eq "each package says kind, channel and build" "conda local 0" \
  "$(jq -r '.platforms[0].layers[].packages[] | select(.name=="demo-data") | .kind + " " + .channel + " " + .build' "$T/a.json")"
check "the text form names demo-data under its layer" \
  grep -Eq '^    demo-data 1\.0 0 conda local$' <("$BIN" inspect "oci:$T/a.oci:1")

expect_rc "diff A B exits 1 (they differ)" 1 'demo-data 1\.0 0 -> 2\.0 0' \
  "$BIN" diff "oci:$T/a.oci:1" "oci:$T/b.oci:1"
"$BIN" diff --format json "oci:$T/a.oci:1" "oci:$T/b.oci:1" >"$T/diff.json"
check_eq "diff names exactly demo-data, changed 1.0 -> 2.0" "changed demo-data 1.0 2.0" \
  "$(jq -r '[.platforms[].layers[].packages[] | .change + " " + .name + " " + .a.version + " " + .b.version] | join(",")' "$T/diff.json")"
check_eq "the other layers are shared, demo-data's changed" "shared shared changed" \
  "$(jq -r '[.platforms[0].layers[].change] | join(" ")' "$T/diff.json")"
expect_rc "diff A A exits 0 (identical)" 0 'identical' "$BIN" diff "oci:$T/a.oci:1" "oci:$T/a.oci:1"

check "build A with a CycloneDX SBOM" build 1.0 --sbom cyclonedx --output "oci:$T/c.oci" -t demo:1
check_eq "inspect reads CycloneDX documents to the same packages" "cyclonedx $(cat "$T/a-pkgs")" \
  "$("$BIN" inspect --format json "oci:$T/c.oci:1" | tee "$T/c.json" | jq -r .platforms[0].sbom) $(inspect_pkgs <"$T/c.json")"
check "build A without an SBOM" build 1.0 --output "oci:$T/n.oci" -t demo:1
expect_rc "without an SBOM inspect says packages are unknown, groups from the history" 0 \
  'no SBOM attached.*' "$BIN" inspect "oci:$T/n.oci"
check_eq "... groups from the config's history" "rootfs base-python rest" \
  "$("$BIN" inspect --format json "oci:$T/n.oci" | jq -r '[.platforms[0].layers[].group] | join(" ")')"
# a wheel from the pip: section is a package of kind pip (its record's subdir is pypi)
"$SRC/tests/fixtures/mkwheels" "$T/wheels" >"$T/mkwheels.log" 2>&1 ||
  { tail -20 "$T/mkwheels.log"; echo "FAIL: fixture wheels could not be built"; exit 1; }
port=$("$SRC/tests/fixtures/pyindex" start "$T/wheels" "$T/idx") ||
  { echo "FAIL: fixture index did not start"; exit 1; }
printf 'name: piptest\nchannels: [nodefaults]\ndependencies:\n  - python=3.11\n  - pip:\n    - six==1.16.0\n' >"$T/pip.yml"
check "build an environment with a pip: section" "$BIN" build "$T/pip.yml" --channel "$CH" --cache-dir "$T/cache" \
  --pypi-index "http://127.0.0.1:$port/simple/" --sbom spdx --output "oci:$T/pip.oci" -t p:1
"$SRC/tests/fixtures/pyindex" stop "$T/idx" >/dev/null 2>&1
check_eq "inspect lists the wheel as kind pip in the pip layer, python as conda" "pip:six=1.16.0:pip conda" \
  "$("$BIN" inspect --format json "oci:$T/pip.oci:1" | jq -r '[.platforms[0].layers[] | .group as $g | .packages[] |
     select(.name=="six") | "\($g):\(.name)=\(.version):\(.kind)"] + [.platforms[0].layers[].packages[] | select(.name=="python") | .kind] | join(" ")')"

expect_rc "inspect of a tag the layout lacks exits 2" 2 "no manifest tagged 'nope'" "$BIN" inspect "oci:$T/a.oci:nope"
expect_rc "inspect of a directory that is no layout exits 2" 2 'is not an OCI image layout' "$BIN" inspect "oci:$T/none"

# --- registry (the referrers tag schema) -------------------------------------------------
P=$("$REG" start "$T/reg" --tls --htpasswd u:p) || { echo "FAIL: registry did not start"; exit 1; }
H="127.0.0.1:$P"
R=(--creds u:p --ca-cert "$T/reg/tls/crt.pem")
check "push A (SBOM by default)" build 1.0 "${R[@]}" -t "$H/team/demo:1"
check "push B" build 2.0 "${R[@]}" -t "$H/team/demo:2"
mark=$(wc -l <"$T/reg/registry.log")
check "inspect the pushed A" "$BIN" inspect "${R[@]}" --format json "$H/team/demo:1"
"$BIN" inspect "${R[@]}" --format json "$H/team/demo:1" >"$T/ra.json"
check_eq "it lists the layout's packages and layers" "$(cat "$T/a-pkgs")" "$(inspect_pkgs <"$T/ra.json")"
expect_rc "diff of the pushed A and B exits 1, naming demo-data" 1 '~ demo-data 1\.0 0 -> 2\.0 0' \
  "$BIN" diff "${R[@]}" "$H/team/demo:1" "$H/team/demo:2"
check_eq "... and only demo-data" "demo-data" \
  "$("$BIN" diff "${R[@]}" --format json "$H/team/demo:1" "$H/team/demo:2" | jq -r '[.platforms[].layers[].packages[].name] | join(",")')"
expect_rc "diff of a pushed image and its layout twin exits 0" 0 identical \
  "$BIN" diff "${R[@]}" "$H/team/demo:1" "oci:$T/a.oci:1"
layers=$({ jq -r '.platforms[0].layers[].digest' "$T/ra.json"; jq -r '.platforms[].layers[] | .a, .b' "$T/diff.json"; } | grep sha256 | sort -u)
gets=0
for d in $layers; do
  gets=$((gets + $(tail -n +"$((mark + 1))" "$T/reg/registry.log" | grep -cE "\"GET /v2/[^ ]*/blobs/$d")))
done
check_eq "no layer blob was downloaded (registry access log)" 0 "$gets"
check "the SBOMs were found through the referrers tag (sha256-<hex>)" \
  test "$(tail -n +"$((mark + 1))" "$T/reg/registry.log" | grep -c '"GET /v2/team/demo/manifests/sha256-')" -ge 1

expect_rc "an unknown repository exits 2, naming it" 2 'team/nope' \
  "$BIN" inspect "${R[@]}" "$H/team/nope:1"
expect_rc "an unknown tag exits 2, naming it" 2 'demo.*9|9.*demo' "$BIN" inspect "${R[@]}" "$H/team/demo:9"
expect_rc "diff with an unknown tag exits 2 (not 1)" 2 'demo' "$BIN" diff "${R[@]}" "$H/team/demo:1" "$H/team/demo:9"
expect_rc "an unreachable registry exits 2, naming it" 2 '127\.0\.0\.1:1' \
  "$BIN" inspect --insecure-registry 127.0.0.1:1 127.0.0.1:1/team/demo:1
expect_rc "a malformed reference exits 2" 2 'Bad/Name' "$BIN" inspect "$H/Bad/Name:1"

# --- two platforms: one section each ------------------------------------------------------
printf 'name: multi\nchannels: [nodefaults]\ndependencies: [demo-data=1.0]\n' >"$T/multi.yml"
check "a two-platform push" "$BIN" build "$T/multi.yml" --channel "$CH" --cache-dir "$T/cache" \
  --platform linux/amd64,linux/arm64 "${R[@]}" -t "$H/team/multi:1"
check_eq "inspect shows one section per platform, each with its SBOM's packages" \
  "linux/amd64 demo-data,linux/arm64 demo-data" \
  "$("$BIN" inspect "${R[@]}" --format json "$H/team/multi:1" | jq -r '[.platforms[] | .platform + " " + ([.layers[].packages[].name] | join(" "))] | join(",")')"
check_eq "--platform picks one" "linux/arm64" \
  "$("$BIN" inspect "${R[@]}" --format json --platform linux/arm64 "$H/team/multi:1" | jq -r '[.platforms[].platform] | join(",")')"
expect_rc "--platform the index lacks exits 2" 2 'no image for platform linux/s390x' \
  "$BIN" inspect "${R[@]}" --platform linux/s390x "$H/team/multi:1"

e2e_finish

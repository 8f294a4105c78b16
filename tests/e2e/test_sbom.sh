#!/usr/bin/env bash
# SBOMs attached the OCI 1.1 way (issue 15): a build into an oci: layout carries an SPDX 2.3
# artifact (subject = the image manifest) under the referrers tag schema; the image document
# validates against the shipped SPDX 2.3 schema and lists every package installed in the
# image (from its conda-meta, read back with umoci) with purl and sha256; the per-layer
# documents partition those packages by the manifest's layers; the bytes are identical on
# rebuild; a push to Debian's docker-registry (TLS + htpasswd; it has no referrers API) writes
# the `sha256-<hex>` index listing the SBOM; --sbom cyclonedx / none behave. Provenance (part
# 3): an in-toto statement with a SLSA v1 predicate attached beside the SBOM, naming the
# environment file's sha256, SOURCE_DATE_EPOCH and every installed package by sha256;
# identical on rebuild; listed with the SBOM in the pushed referrers index, for each image of a
# two-platform push too.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_tools skopeo umoci docker-registry htpasswd openssl jq curl python3
python3 -c 'import jsonschema' 2>/dev/null || { echo "SKIP: python3-jsonschema missing"; exit 77; }
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-sbom.XXXXXX)
REG="$SRC/tests/fixtures/registry"
SCHEMA="$SRC/tests/fixtures/spdx/spdx-2.3-schema.json"
cleanup() {
  [ -d "$T/reg" ] && "$REG" stop "$T/reg"
  rm -rf "$T"
}
trap cleanup EXIT
export SOURCE_DATE_EPOCH=1700000000

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
ENV="$SRC/examples/demo/environment.yml"
CH="file://$T/channel"
build() { "$BIN" build "$ENV" --channel "$CH" --cache-dir "$T/cache" "$@"; }
blob() { cat "$1/blobs/sha256/${2#sha256:}"; }
validate() {
  python3 -c 'import json,sys,jsonschema; s=json.load(open(sys.argv[1])); jsonschema.validate(json.load(open(sys.argv[2])), s, format_checker=jsonschema.FormatChecker())' "$SCHEMA" "$1"
}

# --- into an oci: layout -----------------------------------------------------------------
check "build with --sbom spdx --provenance slsa into an oci: layout" \
  build --sbom spdx --provenance slsa --output "oci:$T/a.oci" -t demo:1.0
L="$T/a.oci"
mdig=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="1.0") | .digest' "$L/index.json")
rtag="sha256-${mdig#sha256:}"
ridx=$(jq -r --arg t "$rtag" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]==$t) | .digest' "$L/index.json")
check "index.json has the referrers tag sha256-<hex> of the image" test -n "$ridx"
check_eq "the referrers index lists the SPDX and the provenance artifacts" \
  "application/spdx+json,application/vnd.in-toto+json" \
  "$(blob "$L" "$ridx" | jq -r '[.manifests[].artifactType]|join(",")')"
art=$(blob "$L" "$ridx" | jq -r '.manifests[0].digest')
blob "$L" "$art" >"$T/art.json"
check_eq "the artifact's subject is the image manifest" "$mdig" "$(jq -r .subject.digest "$T/art.json")"
check_eq "the artifact has artifactType and the empty config" \
  "application/spdx+json application/vnd.oci.empty.v1+json" \
  "$(jq -r '.artifactType + " " + .config.mediaType' "$T/art.json")"
blob "$L" "$(jq -r '.layers[0].digest' "$T/art.json")" >"$T/image.spdx.json"
check "the image SPDX document validates against the SPDX 2.3 schema" validate "$T/image.spdx.json"
check "skopeo still copies the tagged image" skopeo copy "oci:$L:1.0" "oci:$T/copy.oci:1.0"

# every package in the image (conda-meta, as installed) with purl and sha256
check "umoci unpacks the image" umoci unpack --image "$L:1.0" "$T/bundle"
meta="$T/bundle/rootfs/opt/conda/envs/demo/conda-meta"
installed=$(for f in "$meta"/*.json; do jq -r '.name + "=" + .version + "=" + (.sha256 // "")' "$f"; done | sort)
listed=$(jq -r '.packages[] | select(.SPDXID|startswith("SPDXRef-Package-")) |
  .name + "=" + .versionInfo + "=" + ([.checksums[]|select(.algorithm=="SHA256")|.checksumValue][0] // "")' \
  "$T/image.spdx.json" | sort)
check "the image has packages" test "$(echo "$installed" | wc -l)" -ge 3
check_eq "the SBOM lists exactly the installed packages, with their sha256" "$installed" "$listed"
check_eq "every package has a conda purl" "0" "$(jq '[.packages[] | select(.SPDXID|startswith("SPDXRef-Package-")) |
  select(([.externalRefs[]?|select(.referenceType=="purl")|.referenceLocator][0] // "")|startswith("pkg:conda/")|not)]|length' "$T/image.spdx.json")"

# per-layer documents: one per layer of the manifest, annotated with its digest, partitioning
# (the manifest's first layer is the root filesystem layer, which holds no package and has no
# document: docs/sbom.md)
mlayers=$(blob "$L" "$mdig" | jq -r '[.layers[1:][].digest]|join(" ")')
alayers=$(jq -r '[.layers[1:][].annotations["io.imgbuild.layer.digest"]]|join(" ")' "$T/art.json")
check_eq "one SBOM per image layer, in manifest order" "$mlayers" "$alayers"
: >"$T/parts"
n=$(jq '.layers|length' "$T/art.json")
for i in $(seq 1 $((n - 1))); do
  blob "$L" "$(jq -r ".layers[$i].digest" "$T/art.json")" >"$T/layer$i.json"
  check "layer document $i validates" validate "$T/layer$i.json"
  jq -r '.packages[]|select(.SPDXID|startswith("SPDXRef-Package-"))|.name' "$T/layer$i.json" >>"$T/parts"
done
check_eq "the per-layer SBOMs partition the image's packages" \
  "$(jq -r '.packages[]|select(.SPDXID|startswith("SPDXRef-Package-"))|.name' "$T/image.spdx.json" | sort)" \
  "$(sort "$T/parts")"
check_eq "no package is in two layers" "$(sort "$T/parts" | uniq -d)" ""

# --- provenance: in-toto statement v1, SLSA provenance v1 ---------------------------------
prov=$(blob "$L" "$ridx" | jq -r '.manifests[1].digest')
blob "$L" "$prov" >"$T/prov-art.json"
check_eq "the provenance artifact: subject, artifactType, one in-toto layer" \
  "$mdig application/vnd.in-toto+json application/vnd.in-toto+json" \
  "$(jq -r '.subject.digest + " " + .artifactType + " " + ([.layers[].mediaType]|join(","))' "$T/prov-art.json")"
blob "$L" "$(jq -r '.layers[0].digest' "$T/prov-art.json")" >"$T/prov.json"
check_eq "the statement's type, predicate type and subject digest" \
  "https://in-toto.io/Statement/v1 https://slsa.dev/provenance/v1 ${mdig#sha256:}" \
  "$(jq -r '._type + " " + .predicateType + " " + .subject[0].digest.sha256' "$T/prov.json")"
ext='.predicate.buildDefinition.externalParameters'
check_eq "it names the environment file by sha256" "environment.yml $(sha256sum "$ENV" | cut -d' ' -f1)" \
  "$(jq -r "$ext.environmentFile.name + \" \" + $ext.environmentFile.digest.sha256" "$T/prov.json")"
check_eq "... the channel, platform and SOURCE_DATE_EPOCH" "$CH linux/amd64 1700000000" \
  "$(jq -r "($ext.channels|join(\",\")) + \" \" + $ext.platform + \" \" + ($ext.sourceDateEpoch|tostring)" "$T/prov.json")"
check_eq "... the built-in recipe by its sha256" "$(sha256sum "$SRC/recipes/default.yaml" | cut -d' ' -f1)" \
  "$(jq -r "$ext.recipe.digest.sha256" "$T/prov.json")"
check_eq "... the builder" "urn:imgbuild:builder:cli" "$(jq -r .predicate.runDetails.builder.id "$T/prov.json")"
check_eq "its resolved packages are the installed ones, by sha256" \
  "$(echo "$installed" | cut -d= -f3 | sort)" \
  "$(jq -r '.predicate.buildDefinition.resolvedDependencies[].digest.sha256' "$T/prov.json" | sort)"

# --- determinism -------------------------------------------------------------------------
rm -rf "$T/cache/layers"
check "rebuild into another layout" build --sbom spdx --provenance slsa --output "oci:$T/b.oci" -t demo:1.0
ridx_b=$(jq -r --arg t "$rtag" '.manifests[]|select(.annotations["org.opencontainers.image.ref.name"]==$t)|.digest' "$T/b.oci/index.json")
check_eq "SBOM and provenance artifact bytes are identical on rebuild" "$art $prov" \
  "$(blob "$T/b.oci" "$ridx_b" | jq -r '[.manifests[].digest]|join(" ")')"

# --- other formats -----------------------------------------------------------------------
check "build with --sbom cyclonedx" build --sbom cyclonedx --output "oci:$T/c.oci" -t demo:1.0
check_eq "the artifact is CycloneDX" "application/vnd.cyclonedx+json" \
  "$(blob "$T/c.oci" "$(jq -r '.manifests[]|select(.annotations["org.opencontainers.image.ref.name"]|startswith("sha256-"))|.digest' "$T/c.oci/index.json")" | jq -r '.manifests[0].artifactType')"
check "build with --sbom none" build --sbom none --output "oci:$T/n.oci" -t demo:1.0
check_eq "--sbom none attaches nothing" "1" "$(jq '.manifests|length' "$T/n.oci/index.json")"
check "build into a layout without --sbom" build --output "oci:$T/d.oci" -t demo:1.0
check_eq "a local output has no SBOM unless asked (pre-1.1 layout readers)" "1" "$(jq '.manifests|length' "$T/d.oci/index.json")"
expect_fail "--sbom with an unknown format" "expected none, spdx or cyclonedx" build --sbom xml --output "oci:$T/x.oci"
expect_fail "--provenance with an unknown format" "expected none or slsa" build --provenance intoto --output "oci:$T/x.oci"

# --- push to Debian's registry: the referrers tag schema ---------------------------------
P=$("$REG" start "$T/reg" --tls --htpasswd u:p) || { echo "FAIL: registry did not start"; exit 1; }
H="127.0.0.1:$P"
cu() { curl -sf --cacert "$T/reg/tls/crt.pem" -u u:p "$@"; }
check "push (SBOM and provenance by default)" build --creds u:p --ca-cert "$T/reg/tls/crt.pem" -t "$H/team/demo:1.0"
check_eq "the registry has no referrers API (so the tag schema is needed)" "404" \
  "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/reg/tls/crt.pem" -u u:p "https://$H/v2/team/demo/referrers/$mdig")"
cu -H 'Accept: application/vnd.oci.image.index.v1+json' "https://$H/v2/team/demo/manifests/$rtag" >"$T/remote-idx.json"
check_eq "the pushed referrers tag lists the SBOM and the provenance by digest" \
  "$art application/spdx+json $prov application/vnd.in-toto+json" \
  "$(jq -r '[.manifests[] | .digest + " " + .artifactType]|join(" ")' "$T/remote-idx.json")"
cu -H 'Accept: application/vnd.oci.image.manifest.v1+json' "https://$H/v2/team/demo/manifests/$art" >"$T/remote-art.json"
cu "https://$H/v2/team/demo/blobs/$(jq -r '.layers[0].digest' "$T/remote-art.json")" >"$T/remote.spdx.json"
check "the pushed SBOM validates" validate "$T/remote.spdx.json"
check "the pushed SBOM is the layout's" cmp "$T/remote.spdx.json" "$T/image.spdx.json"
check "a second push keeps one entry" build --creds u:p --ca-cert "$T/reg/tls/crt.pem" -t "$H/team/demo:1.0"
check_eq "the referrers tag still lists two artifacts" "2" \
  "$(cu -H 'Accept: application/vnd.oci.image.index.v1+json' "https://$H/v2/team/demo/manifests/$rtag" | jq '.manifests|length')"

# --- a layer reused from the registry cache brings its SBOM along --------------------------
# the cache artifact's config is the layer's package records (docs/sbom.md, "Cached layers");
# a build from a fresh --cache-dir that takes every layer from the registry cache, and then
# from its local layer cache, attaches the cold build's SBOM and provenance bytes
CR="$H/team/layer-cache"
rc_build() {
  "$BIN" build "$ENV" --channel "$CH" --creds u:p --ca-cert "$T/reg/tls/crt.pem" --cache-repo "$CR" \
    --sbom spdx --provenance slsa -t demo:1.0 "$@"
}
referrers() { blob "$1" "$(jq -r --arg t "$rtag" '.manifests[]|select(.annotations["org.opencontainers.image.ref.name"]==$t)|.digest' "$1/index.json")"; }
layer_docs() { for d in $(blob "$1" "$(referrers "$1" | jq -r '.manifests[0].digest')" | jq -r '.layers[].digest'); do blob "$1" "$d" | sha256sum; done; }
check "a cold build fills the registry cache" rc_build --cache-dir "$T/rc-cold" --output "oci:$T/rc-cold.oci"
tag=$(cu "https://$H/v2/team/layer-cache/tags/list" | jq -r '[.tags[]|select(startswith("lk-"))][0]')
check_eq "a cache artifact's config is the layer's package records" "application/vnd.imgbuild.layer-packages.v1+json" \
  "$(cu -H 'Accept: application/vnd.oci.image.manifest.v1+json' "https://$H/v2/team/layer-cache/manifests/$tag" | jq -r .config.mediaType)"
rc_build --cache-dir "$T/rc-hit" --output "oci:$T/rc-hit.oci" >/dev/null 2>"$T/rc-hit.log"
check_eq "a build from a fresh --cache-dir on registry-cache hits" "0" "$?"
check "... takes its layers from the registry cache" grep -q "registry cache $CR: [1-9][0-9]* layers\? taken from it" "$T/rc-hit.log"
check "... and builds none" grep -q "layer cache: \([0-9]*\) of \1 layers reused" "$T/rc-hit.log"
check_eq "... with no warning" "" "$(grep warning "$T/rc-hit.log")"
check_eq "the same image" "$mdig" "$(jq -r '.manifests[0].digest' "$T/rc-hit.oci/index.json")"
check_eq "the same SBOM and provenance artifacts as the cold build (registry-cache hits)" \
  "$(referrers "$T/rc-cold.oci")" "$(referrers "$T/rc-hit.oci")"
check_eq "the same image and per-layer SBOM documents" "$(layer_docs "$T/rc-cold.oci")" "$(layer_docs "$T/rc-hit.oci")"
rc_build --cache-dir "$T/rc-hit" --output "oci:$T/rc-local.oci" >/dev/null 2>"$T/rc-local.log"
check "a rebuild takes them from its local layer cache" grep -q "reused from the layer cache" "$T/rc-local.log"
check_eq "the same SBOM and provenance artifacts (local layer-cache hits)" \
  "$(referrers "$T/rc-cold.oci")" "$(referrers "$T/rc-local.oci")"

# --- two platforms: each platform's image carries its own referrers -------------------------
printf 'name: multi\nchannels: [nodefaults]\ndependencies: [demo-data=1.0]\n' >"$T/multi.yml"
check "a two-platform push" "$BIN" build "$T/multi.yml" --channel "$CH" --cache-dir "$T/cache" \
  --platform linux/amd64,linux/arm64 --creds u:p --ca-cert "$T/reg/tls/crt.pem" -t "$H/team/multi:1.0"
plats=$(cu -H 'Accept: application/vnd.oci.image.index.v1+json' "https://$H/v2/team/multi/manifests/1.0" | jq -r '.manifests[].digest')
check_eq "the index lists two images" "2" "$(echo "$plats" | grep -c sha256)"
for d in $plats; do
  check_eq "the image $d lists its SBOM and provenance" "application/spdx+json application/vnd.in-toto+json" \
    "$(cu -H 'Accept: application/vnd.oci.image.index.v1+json' "https://$H/v2/team/multi/manifests/sha256-${d#sha256:}" | jq -r '[.manifests[].artifactType]|join(" ")')"
done

e2e_finish

#!/usr/bin/env bash
# Interop with the tools images are loaded into (issue 11, part 8), each checked by the tool
# itself: podman load names a docker-archive by its tag (real podman 4.3, storage isolated in
# this test's directory); a tag written into an existing oci: layout keeps the tags already
# there (skopeo and umoci read each, also after one is replaced and after a multi-platform
# write); on a base image without history each layer gets its own history entry (config
# history vs rootfs.diff_ids, and umoci stat labels the base layer as the base's).
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_tools skopeo umoci oci-image-tool podman runc jq unshare
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-interop.XXXXXX)
trap 'rm -rf "$T"' EXIT
export SOURCE_DATE_EPOCH=0

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
CH="file://$T/channel"
printf 'name: tiny\nchannels: [%s]\ndependencies:\n  - demo-data\n' "$CH" >"$T/tiny.yml"
printf 'name: app\nchannels: [%s]\ndependencies:\n  - demo-app\n' "$CH" >"$T/app.yml"
build() { "$BIN" build "$@" --cache-dir "$T/cache" >>"$T/build.log" 2>&1; }
# skopeo's and podman's blob-info cache must not carry state between runs (TESTING.md)
mkdir -p /var/lib/containers/cache
isolated() { unshare -m sh -c 'mount -t tmpfs tmpfs /var/lib/containers/cache && exec "$@"' sh "$@"; }
refs() { jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]] | join(" ")' "$1/index.json"; }
digest_of() { isolated skopeo inspect "oci:$1" 2>/dev/null | jq -r .Digest; }

# --- a second tag in an existing oci: layout keeps the first --------------------------------
L="$T/two.oci"
check "first build writes :a" build "$T/tiny.yml" --output "oci:$L" -t team/tiny:a
da=$(digest_of "$L:a")
check "second build writes :b into the same layout" build "$T/app.yml" --output "oci:$L" -t team/app:b
check_eq "index.json lists both tags, the first first" "a b" "$(refs "$L")"
db=$(digest_of "$L:b")
check_eq "skopeo inspect oci:DIR:a still gives the first image" "$da" "$(digest_of "$L:a")"
check "skopeo inspect oci:DIR:b works" isolated skopeo inspect "oci:$L:b"
check "skopeo copies :a (every blob of the kept image is there)" isolated skopeo copy "oci:$L:a" "oci:$T/copy-a.oci:a"
check "umoci unpacks :a" umoci unpack --image "$L:a" "$T/bundle-a"
check "umoci unpacks :b" umoci unpack --image "$L:b" "$T/bundle-b"
check "oci-image-tool validates the layout's :b" oci-image-tool validate --type image --ref name=b "$L"
check "rebuilding :a with another environment" build "$T/app.yml" --output "oci:$L" -t team/tiny:a
check_eq "a replaced tag keeps its place" "a b" "$(refs "$L")"
check "the replaced image's manifest is not carried over" test ! -e "$L/blobs/sha256/${da#sha256:}"
check_eq ":a now names the new image (the same as :b's), :b is unchanged" "$db $db" \
  "$(digest_of "$L:a") $(digest_of "$L:b")"
check "two-platform build adds :m to the layout" build "$T/tiny.yml" --platform linux/amd64,linux/arm64 \
  --output "oci:$L" -t team/tiny:m
check_eq "the multi-platform write keeps :a and :b" "a b m" "$(refs "$L")"
check "skopeo copies :b after the multi-platform write" isolated skopeo copy "oci:$L:b" "oci:$T/copy-b.oci:b"
check_eq ":m is an image index" "application/vnd.oci.image.index.v1+json" \
  "$(jq -r '.manifests[2].mediaType' "$L/index.json")"

# --- podman load names a docker-archive by its tag ------------------------------------------
P="$T/podman"
mkdir -p "$P"
printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\nnetns = "none"\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nruntime = "runc"\n' >"$P/containers.conf"
printf '[storage]\ndriver = "vfs"\nrunroot = "%s/run"\ngraphroot = "%s/root"\n' "$P" "$P" >"$P/storage.conf"
pm() { CONTAINERS_CONF="$P/containers.conf" CONTAINERS_STORAGE_CONF="$P/storage.conf" TMPDIR="$P" isolated podman "$@"; }
check "docker-archive with one tag" build "$T/tiny.yml" --output "docker-archive:$T/one.tar" -t team/tiny:1
check "podman loads it" pm load -i "$T/one.tar"
check_eq "podman names it by its tag" "docker.io/team/tiny:1" "$(pm images --format '{{.Repository}}:{{.Tag}}' | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "the loaded image is ours (its ID is the config digest)" \
  "$(tar -xOf "$T/one.tar" manifest.json | jq -r '.[0].Config' | sed 's|blobs/sha256/||' | cut -c1-12)" \
  "$(pm images --format '{{.ID}}' | head -n1)"
pm rmi -a -f >/dev/null 2>&1
check "docker-archive with two tags" build "$T/tiny.yml" --output "docker-archive:$T/two.tar" -t team/tiny:1 -t team/tiny:latest
check "podman loads it" pm load -i "$T/two.tar"
check_eq "podman has both tags" "1 latest" "$(pm images --format '{{.Tag}}' | sort | tr '\n' ' ' | sed 's/ $//')"
check "skopeo still reads the archive" isolated skopeo inspect "docker-archive:$T/two.tar"

# --- history on a base image without history --------------------------------------------------
if "$SRC/tests/fixtures/mkbase" "$T/base" base >"$T/mkbase.log" 2>&1; then
  check_eq "the fixture base has no history" "0" "$(skopeo inspect --config "oci:$T/base:base" | jq '.history // [] | length')"
  check "build on the history-less base" build "$T/tiny.yml" --base "oci:$T/base:base" --output "oci:$T/onbase.oci" -t x:1
  cfg=$(skopeo inspect --config "oci:$T/onbase.oci:1")
  check_eq "one non-empty history entry per diff_id" "$(jq '.rootfs.diff_ids | length' <<<"$cfg")" \
    "$(jq '[.history[] | select(.empty_layer != true)] | length' <<<"$cfg")"
  blayer=$(jq -r '.layers[0].digest' "$T/base/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/base/index.json" | cut -d: -f2)")
  stat=$(umoci stat --json --image "$T/onbase.oci:1")
  check_eq "umoci labels the base layer as the base's" "imgbuild: base image layer" \
    "$(jq -r --arg d "$blayer" '.history[] | select(.layer.digest == $d) | .created_by' <<<"$stat")"
  check_eq "umoci labels our layer with its group" "imgbuild: layer group rest (1 packages)" \
    "$(jq -r '[.history[] | select(.layer != null)] | last | .created_by' <<<"$stat")"
else
  e2e_bad "mkbase fixture builds" "$(tail -20 "$T/mkbase.log")"
fi

e2e_finish

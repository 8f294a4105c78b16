#!/usr/bin/env bash
# Push and pull against Debian's docker-registry on 127.0.0.1, three ways: plain HTTP, TLS
# with a CA made here, TLS + htpasswd. skopeo must accept what was pushed; a re-push uploads
# no blob and a push to a second repository mounts instead of uploading (counted in the
# registry's access log); --base pulls an image from the registry and the result runs; the
# password never appears in any output; bad references and credentials fail clearly.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_tools skopeo umoci docker-registry htpasswd openssl jq unshare chroot
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-reg.XXXXXX)
REG="$SRC/tests/fixtures/registry"
cleanup() {
  for d in "$T"/reg-*; do [ -d "$d" ] && "$REG" stop "$d"; done
  rm -rf "$T"
}
trap cleanup EXIT
export SOURCE_DATE_EPOCH=0
# skopeo's blob-info cache must not let one run reuse another's blobs (TESTING.md)
SKOPEO_CACHE="$T/skopeo-cache"; mkdir -p "$SKOPEO_CACHE"
sk() { unshare -m sh -c "mount -t tmpfs tmpfs /var/lib/containers/cache 2>/dev/null || true; exec skopeo \"\$@\"" sh "$@"; }
mkdir -p /var/lib/containers/cache

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
ENV="$SRC/examples/demo/environment.yml"
CH="file://$T/channel"
PASS='s3cret-Pa55-imgbuild'
build() { "$BIN" build "$ENV" --channel "$CH" --cache-dir "$T/cache" "$@"; }

# uploads = finished blob uploads (PUT ...?digest=) in DIR's access log; mounts = mount POSTs
uploads() { grep -cE '"PUT /v2/[^ ]*/blobs/uploads/[^ ]*digest=' "$1/registry.log" || true; }
mounts() { grep -cE '"POST /v2/[^ ]*/blobs/uploads/\?mount=[^ ]* HTTP/[0-9.]+" 201' "$1/registry.log" || true; }

# --- plain HTTP ------------------------------------------------------------------------
P=$("$REG" start "$T/reg-plain") || { echo "FAIL: registry did not start"; exit 1; }
H="127.0.0.1:$P"
check "push to a plain-HTTP loopback registry" build -t "$H/team/demo:1.0" -t "$H/team/demo:latest" --metadata-file "$T/meta.json"
check "skopeo inspect accepts the pushed image" sk inspect --tls-verify=false "docker://$H/team/demo:1.0"
check "skopeo copy accepts the pushed image" sk copy --src-tls-verify=false "docker://$H/team/demo:1.0" "oci:$T/copy.oci:1.0"
check "umoci unpacks the copied image" umoci unpack --image "$T/copy.oci:1.0" "$T/bundle"
check_eq "python runs in the pulled-back image" ok "$(run_in "$T/bundle/rootfs" /opt/conda/envs/demo/bin/python -c 'print("ok")')"
d1=$(jq -r .digest "$T/meta.json")
check_eq "both tags point at the metadata digest" "$d1 $d1" \
  "$(sk inspect --tls-verify=false "docker://$H/team/demo:1.0" | jq -r .Digest) $(sk inspect --tls-verify=false "docker://$H/team/demo:latest" | jq -r .Digest)"
check_eq "metadata lists the layers with group, size and digest" "rootfs base-python" "$(jq -r '[.layers[0,1].group] | join(" ")' "$T/meta.json")"
# the metadata lists every layer: the root filesystem's (group rootfs), then the groups'
check "metadata layer digests match the manifest's layers" test "$(jq -r '[.layers[].digest]|join(",")' "$T/meta.json")" = \
  "$(sk inspect --raw --tls-verify=false "docker://$H/team/demo:1.0" | jq -r '[.layers[].digest]|join(",")')"
n1=$(uploads "$T/reg-plain")
check "first push uploaded config and layers" test "$n1" -ge 3
build -t "$H/team/demo:1.0" >"$T/repush.log" 2>&1
check_eq "a second push uploads zero blobs" "$n1" "$(uploads "$T/reg-plain")"
m0=$(mounts "$T/reg-plain")
check "push to a second repository" build -t "$H/other/demo:2"
check_eq "the second repository got its blobs by mount, not upload" "$n1" "$(uploads "$T/reg-plain")"
check "every blob was mounted" test "$(( $(mounts "$T/reg-plain") - m0 ))" -ge 3

# --- --base from the registry ------------------------------------------------------------
"$SRC/tests/fixtures/mkbase" "$T/base.oci" bookworm >"$T/mkbase.log" 2>&1 || { cat "$T/mkbase.log"; exit 1; }
check "fixture base pushed with skopeo" sk copy --dest-tls-verify=false "oci:$T/base.oci:bookworm" "docker://$H/base/debian:bookworm"
check "--base REF pulls the base and builds on it" build --base "$H/base/debian:bookworm" --output "oci:$T/onbase.oci" -t onbase:1
blayers=$(jq '.layers|length' "$T/base.oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/base.oci/index.json" | cut -d: -f2)")
check_eq "base layers come first, unchanged" \
  "$(jq -r '[.layers[].digest]|join(",")' "$T/base.oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/base.oci/index.json" | cut -d: -f2)")" \
  "$(jq -r "[.layers[:$blayers][].digest]|join(\",\")" "$T/onbase.oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/onbase.oci/index.json" | cut -d: -f2)")"
check "base layers are cached by digest" test -n "$(ls "$T/cache/images/blobs/sha256/")"
check "umoci unpacks the image built on the pulled base" umoci unpack --image "$T/onbase.oci:1" "$T/bundle2"
check_eq "the env runs on the pulled base" ok "$(run_in "$T/bundle2/rootfs" /opt/conda/envs/demo/bin/python -c 'print("ok")')"
check "the base's own files are there" test -x "$T/bundle2/rootfs/bin/sh"
expect_fail "a missing base tag names registry, repository and status" "registry $H: GET manifest base/debian:nope: HTTP 404" \
  build --base "$H/base/debian:nope" --output "oci:$T/nobase.oci"
check "no output after a failed base pull" test ! -e "$T/nobase.oci"

# --- two platforms -> an image index; docker-archive ----------------------------------------
# A noarch-only environment solves for both subdirs (the channel has no linux-aarch64 dir,
# which conda allows); nothing from the packages runs, so no emulation is needed.
printf 'name: tiny\nchannels: [%s]\ndependencies:\n  - demo-data\n' "$CH" >"$T/tiny.yml"
check "two-platform build pushes an index" "$BIN" build "$T/tiny.yml" --cache-dir "$T/cache" \
  --platform linux/amd64,linux/arm64 -t "$H/team/multi:1"
raw=$(sk inspect --raw --tls-verify=false "docker://$H/team/multi:1")
check_eq "skopeo inspect --raw shows both platforms" "linux/amd64 linux/arm64" \
  "$(jq -r '[.manifests[].platform | "\(.os)/\(.architecture)"] | join(" ")' <<<"$raw")"
check_eq "the arm64 image's config says arm64" arm64 \
  "$(sk inspect --tls-verify=false --override-arch arm64 --config "docker://$H/team/multi:1" | jq -r .architecture)"
check "two-platform build to oci:DIR writes an index layout" "$BIN" build "$T/tiny.yml" --cache-dir "$T/cache" \
  --platform linux/amd64,linux/arm64 --output "oci:$T/multi.oci" -t multi:1
check_eq "the layout's index lists both platforms" 2 "$(jq '.manifests|length' "$T/multi.oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/multi.oci/index.json" | cut -d: -f2)")"
check "--output docker-archive writes a tar" "$BIN" build "$T/tiny.yml" --cache-dir "$T/cache" --output "docker-archive:$T/tiny.tar" -t tiny:1
check "skopeo inspects the docker archive" sk inspect "docker-archive:$T/tiny.tar"
check "skopeo copies the docker archive to a layout" sk copy "docker-archive:$T/tiny.tar" "oci:$T/da.oci:1"
check "umoci unpacks the copy" umoci unpack --image "$T/da.oci:1" "$T/dab"
check "the environment is in it" test -d "$T/dab/rootfs/opt/conda/envs/tiny/conda-meta"
check_eq "manifest.json names the tag" "tiny:1" "$(tar -xOf "$T/tiny.tar" manifest.json | jq -r '.[0].RepoTags[0]')"
expect_fail "docker-archive with two platforms is refused" "docker-archive: holds one platform" \
  "$BIN" build "$T/tiny.yml" --cache-dir "$T/cache" --platform linux/amd64,linux/arm64 --output "docker-archive:$T/x.tar"

# --- TLS with a test CA ------------------------------------------------------------------
P=$("$REG" start "$T/reg-tls" --tls) || { echo "FAIL: TLS registry did not start"; exit 1; }
H2="127.0.0.1:$P"
expect_fail "an untrusted certificate is refused with a hint" "registry $H2: .*--ca-cert" build -t "$H2/team/demo:1.0"
check "push over TLS with --ca-cert" build -t "$H2/team/demo:1.0" --ca-cert "$T/reg-tls/tls/crt.pem"
mkdir -p "$T/certs-tls" && cp "$T/reg-tls/tls/crt.pem" "$T/certs-tls/ca.crt"
check "skopeo inspect (TLS, verified) accepts it" sk inspect --cert-dir "$T/certs-tls" "docker://$H2/team/demo:1.0"
check "skopeo copy (TLS, verified) accepts it" sk copy --src-cert-dir "$T/certs-tls" "docker://$H2/team/demo:1.0" "oci:$T/copy2.oci:1.0"
check "--insecure-registry skips verification" build -t "$H2/team/insecure:1" --insecure-registry "$H2"

# --- TLS + htpasswd ----------------------------------------------------------------------
P=$("$REG" start "$T/reg-auth" --tls --htpasswd "ci:$PASS") || { echo "FAIL: auth registry did not start"; exit 1; }
H3="127.0.0.1:$P"
expect_fail "no credentials: 401 with a hint" "registry $H3: .*HTTP 401.*--creds" build -t "$H3/team/demo:1.0" --ca-cert "$T/reg-auth/tls/crt.pem"
expect_fail "wrong password: 401 with a hint" "registry $H3: .*HTTP 401" build -t "$H3/team/demo:1.0" --ca-cert "$T/reg-auth/tls/crt.pem" --creds ci:wrong
build -t "$H3/team/demo:1.0" --ca-cert "$T/reg-auth/tls/crt.pem" --creds "ci:$PASS" >"$T/auth1.log" 2>&1
check "push with --creds" test $? -eq 0
IMGBUILD_REGISTRY_USER=ci IMGBUILD_REGISTRY_PASSWORD=$PASS build -t "$H3/team/env:1.0" --ca-cert "$T/reg-auth/tls/crt.pem" >"$T/auth2.log" 2>&1
check "push with \$IMGBUILD_REGISTRY_USER/PASSWORD" test $? -eq 0
mkdir -p "$T/dockercfg"
printf '{"auths":{"%s":{"auth":"%s"}}}' "$H3" "$(printf 'ci:%s' "$PASS" | base64 -w0)" >"$T/dockercfg/config.json"
DOCKER_CONFIG="$T/dockercfg" build -t "$H3/team/cfg:1.0" --ca-cert "$T/reg-auth/tls/crt.pem" >"$T/auth3.log" 2>&1
check "push with credentials from \$DOCKER_CONFIG/config.json" test $? -eq 0
mkdir -p "$T/helperbin" "$T/dockercfg2"
printf '#!/bin/sh\nread server\n[ "$server" = "%s" ] || { echo "credentials not found in native keychain"; exit 1; }\nprintf %s\n' \
  "$H3" "'{\"ServerURL\":\"$H3\",\"Username\":\"ci\",\"Secret\":\"$PASS\"}'" >"$T/helperbin/docker-credential-test"
chmod +x "$T/helperbin/docker-credential-test"
printf '{"credHelpers":{"%s":"test"}}' "$H3" >"$T/dockercfg2/config.json"
PATH="$T/helperbin:$PATH" DOCKER_CONFIG="$T/dockercfg2" build -t "$H3/team/helper:1.0" --ca-cert "$T/reg-auth/tls/crt.pem" >"$T/auth4.log" 2>&1
check "push with a docker-credential helper (credHelpers)" test $? -eq 0
check "skopeo reads it back with the credentials" sk inspect --tls-verify=false --creds "ci:$PASS" "docker://$H3/team/demo:1.0"
if cat "$T"/*.log 2>/dev/null | grep -qF "$PASS"; then e2e_bad "the password never appears in output"; else e2e_ok "the password never appears in output"; fi

# --- references ----------------------------------------------------------------------------
expect_fail "a tag without a registry cannot be pushed" "names no registry" build -t team/demo:1.0
expect_fail "an upper-case repository is refused" "invalid image reference.*lower-case" build -t "$H/Team/demo:1"
expect_fail "a bad tag is refused" "invalid image reference.*bad tag" build -t "$H/team/demo:-x"

e2e_finish

#!/usr/bin/env bash
# Image signatures laid out as sigstore attachments (issue 15 part 4): `build --sign-key`
# (ECDSA P-256 PEM) pushes, next to the image, the tag sha256-<hex>.sig whose manifest holds
# the simple-signing payload annotated with the signature, on Debian's docker-registry over
# TLS + htpasswd. Verifiers: skopeo (containers/image) with a policy.json `sigstoreSigned`
# requirement (keyPath = the public key) and registries.d `use-sigstore-attachments: true`
# must copy the signed image and refuse an unsigned one, one signed by another key, and one
# whose manifest changed after signing (the old signature moved to the new digest's tag).
# Debian's skopeo 1.9 is built with sigstore verification patched out ("Debian-local change:
# sigstore disabled"): it still reads the attachments (which shows the layout is the one
# containers/image looks for: it counts our signatures), but accepts none. So each case is
# also checked by sig_verify below, the same policy with openssl(1): payload blob digest,
# ECDSA signature with the public key, type, docker-manifest-digest and identity
# (matchRepoDigestOrExact); and by skopeo in full where its sigstore support is enabled. The
# key never appears in any output, and a key that cannot sign (unreadable, RSA) fails the run
# before anything is built or pushed.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_tools skopeo docker-registry htpasswd openssl jq curl
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-sign.XXXXXX)
REG="$SRC/tests/fixtures/registry"
cleanup() {
  [ -d "$T/reg" ] && "$REG" stop "$T/reg"
  rm -rf "$T"
}
trap cleanup EXIT
export SOURCE_DATE_EPOCH=1700000000

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
P=$("$REG" start "$T/reg" --tls --htpasswd u:p) || { echo "FAIL: registry did not start"; exit 1; }
H="127.0.0.1:$P"
CA="$T/reg/tls/crt.pem"
ENV="$SRC/examples/demo/environment.yml"
build() { "$BIN" build "$ENV" --channel "file://$T/channel" --cache-dir "$T/cache" --creds u:p --ca-cert "$CA" "$@"; }
cu() { curl -sf --cacert "$CA" -u u:p "$@"; }
MT=application/vnd.oci.image.manifest.v1+json

openssl ecparam -name prime256v1 -genkey -noout -out "$T/k1.pem" 2>/dev/null
openssl ec -in "$T/k1.pem" -pubout -out "$T/k1.pub" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/k2.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa.pem" 2>/dev/null
# the verifier's configuration: this registry's images must carry a signature by k1
mkdir -p "$T/certs" "$T/registries.d"
cp "$CA" "$T/certs/ca.crt"
cat >"$T/policy.json" <<JSON
{"default": [{"type": "reject"}],
 "transports": {"docker": {"$H": [{"type": "sigstoreSigned", "keyPath": "$T/k1.pub",
                                   "signedIdentity": {"type": "matchRepoDigestOrExact"}}]},
                "oci": {"": [{"type": "insecureAcceptAnything"}]}}}
JSON
printf 'docker:\n  %s:\n    use-sigstore-attachments: true\n' "$H" >"$T/registries.d/local.yaml"
skopeo_copy() { # REPO:TAG -- skopeo copies it only if the policy accepts its signature
  rm -rf "$T/copy.oci"
  skopeo --policy "$T/policy.json" --registries.d "$T/registries.d" copy --src-cert-dir "$T/certs" \
    --src-creds u:p "docker://$H/$1" "oci:$T/copy.oci:x"
}
# sig_verify REPO TAG PUBKEY: what containers/image's sigstoreSigned requirement checks, with
# openssl(1): some simple-signing layer of sha256-<hex>.sig whose payload matches its
# descriptor, whose signature verifies with PUBKEY, and whose payload names this manifest
# digest and REPO:TAG. Prints why each signature is refused.
sig_verify() {
  local repo=$1 tag=$2 pub=$3 dig n i pd
  cu -H "Accept: $MT" "https://$H/v2/$repo/manifests/$tag" >"$T/v-m.json" || { echo "no manifest"; return 1; }
  dig="sha256:$(sha256sum "$T/v-m.json" | cut -d' ' -f1)"
  cu -H "Accept: $MT" "https://$H/v2/$repo/manifests/sha256-${dig#sha256:}.sig" >"$T/v-s.json" ||
    { echo "a signature was required, but no signature exists"; return 1; }
  n=$(jq '.layers|length' "$T/v-s.json")
  for i in $(seq 0 $((n - 1))); do
    [ "$(jq -r ".layers[$i].mediaType" "$T/v-s.json")" = application/vnd.dev.cosign.simplesigning.v1+json ] || continue
    pd=$(jq -r ".layers[$i].digest" "$T/v-s.json")
    cu "https://$H/v2/$repo/blobs/$pd" >"$T/v-p.json" || { echo "payload $pd missing"; continue; }
    [ "sha256:$(sha256sum "$T/v-p.json" | cut -d' ' -f1)" = "$pd" ] || { echo "payload digest mismatch"; continue; }
    jq -r ".layers[$i].annotations[\"dev.cosignproject.cosign/signature\"]" "$T/v-s.json" | base64 -d >"$T/v-sig.der"
    openssl dgst -sha256 -verify "$pub" -signature "$T/v-sig.der" "$T/v-p.json" >/dev/null 2>&1 ||
      { echo "signature $i: cryptographic signature verification failed with $pub"; continue; }
    [ "$(jq -r .critical.type "$T/v-p.json")" = "cosign container image signature" ] || { echo "bad type"; continue; }
    [ "$(jq -r '.critical.image["docker-manifest-digest"]' "$T/v-p.json")" = "$dig" ] ||
      { echo "signature $i: signed digest $(jq -r '.critical.image["docker-manifest-digest"]' "$T/v-p.json") does not match the manifest digest $dig"; continue; }
    [ "$(jq -r '.critical.identity["docker-reference"]' "$T/v-p.json")" = "$H/$repo:$tag" ] ||
      { echo "signature $i: identity does not match"; continue; }
    return 0
  done
  return 1
}
# verify NAME REPO TAG [REFUSAL-REGEX]: accepted (no regex) or refused for that reason, by
# sig_verify; by skopeo in full when its sigstore support is on, else skopeo must at least
# find exactly $SIGS (default 1) sigstore signatures (or none, for the unsigned case).
HAS_SIGSTORE=1
verify() {
  local name=$1 repo=$2 tag=$3 re=${4:-}
  if [ -z "$re" ]; then
    check "$name (openssl policy check)" sig_verify "$repo" "$tag" "$T/k1.pub"
  else
    expect_fail "$name (openssl policy check)" "$re" sig_verify "$repo" "$tag" "$T/k1.pub"
  fi
  out=$(skopeo_copy "$repo:$tag" 2>&1); rc=$?
  if printf '%s' "$out" | grep -q 'sigstore disabled'; then
    HAS_SIGSTORE=0
    check_eq "$name (skopeo reads exactly ${SIGS:-1} sigstore attachment(s))" "${SIGS:-1}" \
      "$(printf '%s' "$out" | grep -o 'sigstore disabled' | wc -l)"
  elif [ -z "$re" ]; then
    check_eq "$name (skopeo copies it)" "0" "$rc"
  elif printf '%s' "$out" | grep -q "no signature exists"; then
    check_eq "$name (skopeo refuses: no signature)" "$re" "no signature exists"
  else
    check_eq "$name (skopeo refuses it)" "1" "$rc"
  fi
}

# --- keys that cannot sign: refused before the build ----------------------------------------
expect_fail "an unreadable key is refused, naming the file" "--sign-key: signing key $T/none.pem: cannot open it" \
  build --sign-key "$T/none.pem" -t "$H/team/nokey:1.0"
expect_fail "an RSA key is refused" "signing key $T/rsa.pem: a RSA key; expected ECDSA P-256" \
  build --sign-key "$T/rsa.pem" -t "$H/team/nokey:1.0"
check_eq "... before anything was built or pushed" "" \
  "$(ls "$T/cache/layers" 2>/dev/null; cu "https://$H/v2/team/nokey/tags/list" 2>/dev/null | jq -r '.tags[]?')"
expect_fail "--sign-key with --output is refused" "pushes none" \
  build --sign-key "$T/k1.pem" --output "oci:$T/o.oci"

# --- signed with k1: accepted -----------------------------------------------------------------
build --sign-key "$T/k1.pem" -t "$H/team/signed:1.0" >"$T/signed.out" 2>&1
check_eq "build and push signed with k1" "0" "$?"
dig=$(cu -I -H "Accept: $MT" "https://$H/v2/team/signed/manifests/1.0" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')
sigtag="sha256-${dig#sha256:}.sig"
cu -H "Accept: $MT" "https://$H/v2/team/signed/manifests/$sigtag" >"$T/sig.json"
check_eq "the sha256-<hex>.sig tag holds one simple-signing layer with a signature" \
  "application/vnd.dev.cosign.simplesigning.v1+json true" \
  "$(jq -r '([.layers[].mediaType]|join(",")) + " " + (.layers[0].annotations["dev.cosignproject.cosign/signature"]|length > 60|tostring)' "$T/sig.json")"
cu "https://$H/v2/team/signed/blobs/$(jq -r '.layers[0].digest' "$T/sig.json")" >"$T/payload.json"
check_eq "the payload names the reference and the manifest digest" \
  "$H/team/signed:1.0 $dig cosign container image signature null" \
  "$(jq -r '.critical.identity["docker-reference"] + " " + .critical.image["docker-manifest-digest"] + " " + .critical.type + " " + (.optional|tostring)' "$T/payload.json")"
jq -r '.layers[0].annotations["dev.cosignproject.cosign/signature"]' "$T/sig.json" | base64 -d >"$T/sig.der"
check "openssl verifies the signature over the payload bytes with the public key" \
  openssl dgst -sha256 -verify "$T/k1.pub" -signature "$T/sig.der" "$T/payload.json"
verify "the signed image is accepted" team/signed 1.0
keybody=$(sed -n 2p "$T/k1.pem")
check_eq "the private key never appears in the build's output" "0" "$(grep -cF -- "$keybody" "$T/signed.out")"

# --- refused: unsigned, another key, a manifest changed after signing ----------------------
check "build and push unsigned" build -t "$H/team/unsigned:1.0"
verify "the unsigned image is refused" team/unsigned 1.0 "no signature exists"
check "build and push signed with k2" build --sign-key "$T/k2.pem" -t "$H/team/other:1.0"
verify "the image signed by another key is refused" team/other 1.0 "verification failed"
# the signed manifest with one annotation more, under the signed tag, and k1's signature of
# the old digest moved to the new digest's .sig tag: identity and key match, the digest not
cu -H "Accept: $MT" "https://$H/v2/team/signed/manifests/1.0" | jq -c '.annotations={"changed":"after signing"}' >"$T/changed.json"
check "push a changed manifest to the signed tag" \
  cu -X PUT -H "Content-Type: $MT" --data-binary "@$T/changed.json" "https://$H/v2/team/signed/manifests/1.0"
newdig="sha256:$(sha256sum "$T/changed.json" | cut -d' ' -f1)"
check "move the old signature to the new digest's tag" \
  cu -X PUT -H "Content-Type: $MT" --data-binary "@$T/sig.json" "https://$H/v2/team/signed/manifests/sha256-${newdig#sha256:}.sig"
verify "the manifest changed after signing is refused" team/signed 1.0 "does not match the manifest digest"

# --- re-signing, a second signer (merged as cosign does) -----------------------------------
check "signing again (a rebuild) succeeds" build --sign-key "$T/k1.pem" -t "$H/team/signed:1.0"
verify "the re-signed image is accepted" team/signed 1.0
cu -H "Accept: $MT" "https://$H/v2/team/signed/manifests/$sigtag" >"$T/sig2.json"
check "re-signing with the same key and payload adds nothing: the .sig tag is unchanged" cmp "$T/sig.json" "$T/sig2.json"
openssl ec -in "$T/k2.pem" -pubout -out "$T/k2.pub" 2>/dev/null
check "a second signer (k2) signs the same image" build --sign-key "$T/k2.pem" -t "$H/team/signed:1.0"
cu -H "Accept: $MT" "https://$H/v2/team/signed/manifests/$sigtag" >"$T/sig3.json"
check_eq "the .sig tag now holds both signatures, k1's first and unchanged" \
  "2 $(jq -c '.layers[0]' "$T/sig.json")" "$(jq '.layers|length' "$T/sig3.json") $(jq -c '.layers[0]' "$T/sig3.json")"
check_eq "... its config lists both payloads" "$(jq -c '[.layers[].digest]' "$T/sig3.json")" \
  "$(cu "https://$H/v2/team/signed/blobs/$(jq -r .config.digest "$T/sig3.json")" | jq -c .rootfs.diff_ids)"
SIGS=2 verify "k1's policy still accepts it" team/signed 1.0
check "k2's signature verifies with k2's public key" sig_verify team/signed 1.0 "$T/k2.pub"
check "k2 signing again" build --sign-key "$T/k2.pem" -t "$H/team/signed:1.0"
check_eq "... adds no third signature" "2" \
  "$(cu -H "Accept: $MT" "https://$H/v2/team/signed/manifests/$sigtag" | jq '.layers|length')"

# --- imgbuild push --sign-key: a built layout, its SBOM and provenance, signed ------------------
check "build an image with SBOM and provenance into a layout" \
  build --sbom spdx --provenance slsa --output "oci:$T/p.oci" -t demo:1.0
push() { "$BIN" push "oci:$T/p.oci:1.0" "$@" --creds u:p --ca-cert "$CA"; }
expect_fail "push with an RSA key is refused" "signing key $T/rsa.pem: a RSA key; expected ECDSA P-256" \
  push "$H/team/pushed:1.0" --sign-key "$T/rsa.pem"
check_eq "... before anything was pushed" "" "$(cu "https://$H/v2/team/pushed/tags/list" 2>/dev/null | jq -r '.tags[]?')"
push "$H/team/pushed:1.0" --sign-key "$T/k1.pem" >"$T/push.out" 2>&1
rc=$?
check_eq "push --sign-key" "0" "$rc"
[ "$rc" = 0 ] || tail -5 "$T/push.out"
verify "the pushed image is accepted" team/pushed 1.0
pdig=$(jq -r '.manifests[]|select(.annotations["org.opencontainers.image.ref.name"]=="1.0")|.digest' "$T/p.oci/index.json")
check_eq "push also pushes the layout's referrers (SBOM, provenance)" "application/spdx+json application/vnd.in-toto+json" \
  "$(cu -H 'Accept: application/vnd.oci.image.index.v1+json' "https://$H/v2/team/pushed/manifests/sha256-${pdig#sha256:}" | jq -r '[.manifests[].artifactType]|join(" ")')"
check_eq "the private key never appears in push's output" "0" "$(grep -cF -- "$keybody" "$T/push.out")"
check "two tags in one push: each its own signature (identity = registry/repo:tag)" \
  build --sign-key "$T/k1.pem" -t "$H/team/two:1.0" -t "$H/team/two:latest"
SIGS=2 verify "... by either tag" team/two latest
SIGS=2 verify "... by either tag" team/two 1.0
[ "$HAS_SIGSTORE" = 1 ] || echo "NOTE: this skopeo has sigstore verification disabled (Debian); cryptographic checks by openssl only"


e2e_finish

#!/usr/bin/env bash
# The shared layer cache in a registry (--cache-repo, builder/rcache_stage.c,
# oci/cache_artifact.c) against Debian's docker-registry: team A builds and pushes its
# environment and fills the cache repository; team B, on a fresh local cache and package
# cache, builds a different environment sharing three groups with A's: those come from the
# registry cache (their packages are never fetched), and since B only pushes to that registry
# their blobs are never downloaded either (no GET of them in the access log) but mounted; B
# uploads only its own group's bytes (counted in the registry's access log), B's image runs
# and its shared layers are A's blobs. `plan` shows "in registry"; a corrupt or missing blob
# behind a cache tag, and an unreachable cache registry, fall back to building with a warning.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_tools skopeo umoci docker-registry jq curl unshare chroot sha256sum
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-cacherepo.XXXXXX)
REG="$SRC/tests/fixtures/registry"
PROXY_PID=
cleanup() { [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null; "$REG" stop "$T/reg"; "$REG" stop "$T/reg-auth"; rm -rf "$T"; }
trap cleanup EXIT
export SOURCE_DATE_EPOCH=0
sk() { unshare -m sh -c "mount -t tmpfs tmpfs /var/lib/containers/cache 2>/dev/null || true; exec skopeo \"\$@\"" sh "$@"; }
mkdir -p /var/lib/containers/cache

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
CH="file://$T/channel"
P=$("$REG" start "$T/reg") || { echo "FAIL: registry did not start"; exit 1; }
H="127.0.0.1:$P"
CACHE="$H/shared/layer-cache"
cat >"$T/recipe.yaml" <<'EOF'
version: 1
groups:
  - {name: base-python, closure_of: [python]}
  - {name: tools, match: [prefixdemo, linkdemo]}
  - {name: noarch, match: [hello-noarch]}
  - {name: app, rest: true}
EOF
# two environments that differ only in the last group (demo-data 1.0 vs demo-app + demo-data 2.0)
printf 'name: team-a\nchannels: [%s]\ndependencies: [python=3.11, prefixdemo, hello-noarch, linkdemo, demo-data=1.0]\n' "$CH" >"$T/a.yml"
printf 'name: team-b\nchannels: [%s]\ndependencies: [python=3.11, prefixdemo, hello-noarch, linkdemo, demo-app]\n' "$CH" >"$T/b.yml"
# --sbom/--provenance none: this test counts layer and config uploads; the referrers (SBOM,
# provenance) are test_sbom.sh's (issue 15)
build() { "$BIN" build "$@" --recipe "$T/recipe.yaml" --prefix /opt/env --sbom none --provenance none; }
manifest() { curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$H/v2/$1/manifests/$2"; }
log_from() { tail -n +"$(( $1 + 1 ))" "$T/reg/registry.log"; }
# digests of finished blob uploads and of 201 mounts (lib.sh)
uploaded() { reg_log_uploaded; }
mounted() { reg_log_mounted; }
blob_size() { stat -c %s "$T/reg/storage/docker/registry/v2/blobs/sha256/${1:0:2}/$1/data"; }

# --- team A: builds, pushes, fills the cache ------------------------------------------------
build "$T/a.yml" --channel "$CH" --cache-dir "$T/ca" -t "$H/team-a/env:1" --cache-repo "$CACHE" >"$T/a.out" 2>"$T/a.log"
check_eq "team A builds and pushes with --cache-repo" "0" "$?"
check "team A stores its four layers in the cache repository" grep -q "registry cache $CACHE: 4 layers stored" "$T/a.log"
tags=$(curl -sf "http://$H/v2/shared/layer-cache/tags/list" | jq -r '.tags[]' | sort)
check_eq "four lk-<key> tags" "4" "$(grep -cE '^lk-[0-9a-f]{64}$' <<<"$tags")"
am=$(manifest team-a/env 1)
a_digest="sha256:$(printf '%s' "$am" | sha256sum | cut -d' ' -f1)"
# layer 0 is the root filesystem layer (no base: docs/base-images.md), built on every run and
# never a cache entry; the four group layers follow
a_rootfs=$(jq -r '.layers[0].digest' <<<"$am" | cut -d: -f2)
a_layers=$(jq -r '.layers[1:][].digest' <<<"$am" | cut -d: -f2)
t1=$(head -1 <<<"$tags")
art=$(manifest shared/layer-cache "$t1")
check_eq "the artifact: type, package-records config (issue 15), one layer, key annotation" \
  "application/vnd.imgbuild.layer-cache.v1 application/vnd.imgbuild.layer-packages.v1+json 1 ${t1#lk-}" \
  "$(jq -r '[.artifactType, .config.mediaType, (.layers|length|tostring), .annotations["io.imgbuild.cache.key"]]|join(" ")' <<<"$art")"
check "the artifact's layer is one of A's layers" grep -qx "$(jq -r '.layers[0].digest' <<<"$art" | cut -d: -f2)" <<<"$a_layers"
check "the artifact names group and packages" jq -e '.annotations["io.imgbuild.cache.group"] != "" and (.annotations["io.imgbuild.cache.packages"] | test("^[0-9]+ package"))' <<<"$art"
a_puts=$(for d in $a_layers; do log_from 0 | grep -cE "\"PUT /v2/shared/layer-cache/blobs/uploads/[^ ]*digest=sha256(%3A|:)$d"; done | paste -sd' ')
check_eq "team A uploads each layer once, into the cache repository" "1 1 1 1" "$a_puts"
check_eq "... and mounts all four into team-a/env" "$(printf '%s\n' "$a_layers" | sort)" \
  "$(log_from 0 | grep '/v2/team-a/env/' | mounted)"

# --- plan for team B, fresh caches: three layers in the registry -------------------------------
"$BIN" plan "$T/b.yml" --recipe "$T/recipe.yaml" --prefix /opt/env --cache-dir "$T/cb" --cache-repo "$CACHE" >"$T/plan.out" 2>"$T/plan.log"
check_eq "plan with --cache-repo succeeds" "0" "$?"
check_eq "plan: shared groups 'in registry', B's own group to build" \
  "base-python in|tools in|noarch in|app to" "$(awk 'NR>1 && NF>=6 {print $1, $5}' "$T/plan.out" | head -4 | paste -sd'|')"
check "plan: summary counts the registry cache" grep -q "4 layers, 3 cached (3 in the registry cache)" "$T/plan.out"
check_eq "plan downloads no package" "" "$(ls "$T/cb/pkgs/sha256" 2>/dev/null)"

# --- team B: fresh local layer cache and package cache -----------------------------------------
mark=$(wc -l <"$T/reg/registry.log")
IMGBUILD_CACHE_REPO="$CACHE" build "$T/b.yml" --channel "$CH" --cache-dir "$T/cb" -t "$H/team-b/env:1" >"$T/b.out" 2>"$T/b.log"
check_eq "team B builds and pushes (cache repo from \$IMGBUILD_CACHE_REPO)" "0" "$?"
for g in base-python tools noarch; do
  check "B's log: $g came from the registry cache, not downloaded" \
    grep -q "layer $g: from the registry cache $CACHE .*not downloaded: the push mounts it" "$T/b.log"
done
check "B builds only its own group" grep -q "layer cache: 3 of 4 layers reused; 2 of .* packages to fetch and install" "$T/b.log"
want=$(jq -r '.["packages.conda"]["demo-data-2.0-0.conda"].sha256, .packages["demo-app-1.0-0.tar.bz2"].sha256' "$T/channel/noarch/repodata.json" | sort)
# a fresh cache: the shared layers' packages bring A's scan findings from the registry cache
# (docs/base-images.md, "Determinism and the layer cache"), so the base image policy neither
# fetches nor installs them
check_eq "B takes the shared layers' scan findings from the cache: none installed to be scanned" "0" \
  "$(grep -c 'never scanned' "$T/b.log")"
check_eq "B's package cache holds its own group's packages and no other" "$want" \
  "$(ls "$T/cb/pkgs/sha256" | sed 's/\..*//' | sort)"
bm=$(manifest team-b/env 1)
b_rootfs=$(jq -r '.layers[0].digest' <<<"$bm" | cut -d: -f2)
b_layers=$(jq -r '.layers[1:][].digest' <<<"$bm" | cut -d: -f2)
check_eq "B's root filesystem layer is A's (the same bytes)" "$a_rootfs" "$b_rootfs"
check_eq "B's shared layers are A's blobs" "$(head -3 <<<"$a_layers")" "$(head -3 <<<"$b_layers")"
b_own=$(sed -n 4p <<<"$b_layers")
b_cfg=$(jq -r .config.digest <<<"$bm" | cut -d: -f2)
b_up=$(log_from "$mark" | uploaded)
# the package records of B's own layer, its cache artifact's config (issue 15)
b_rec=$(for t in $(curl -sf "http://$H/v2/shared/layer-cache/tags/list" | jq -r '.tags[]|select(startswith("lk-"))'); do
  manifest shared/layer-cache "$t" | jq -r --arg d "sha256:$b_own" 'select(.layers[0].digest==$d)|.config.digest'; done | cut -d: -f2)
check "B's own layer's cache artifact names its package records" test -n "$b_rec"
check_eq "B uploads only its own layer (and its package records), the root filesystem layer and its config" \
  "$(printf '%s\n' "$b_own" "$b_rec" "$b_rootfs" "$b_cfg" | sort)" "$b_up"
check_eq "B uploads no byte of the shared layers" "" "$(comm -12 <(printf '%s\n' "$b_up") <(head -3 <<<"$a_layers" | sort))"
bytes=0; for d in $b_up; do bytes=$((bytes + $(blob_size "$d"))); done
check_eq "B's uploaded bytes = its own layer + its records + root filesystem layer + config" \
  "$(( $(blob_size "$b_own") + $(blob_size "$b_rec") + $(blob_size "$b_rootfs") + $(blob_size "$b_cfg") ))" "$bytes"
check_eq "B mounts the three shared layers into team-b/env" "$(head -3 <<<"$a_layers" | sort)" \
  "$(log_from "$mark" | grep '/v2/team-b/env/' | mounted | grep -vx "$b_own")"
check "B's blob GETs came from the cache repository only" test -z "$(log_from "$mark" | grep -E '"GET /v2/team-a/')"
shared_gets=0
for d in $(head -3 <<<"$a_layers"); do
  shared_gets=$((shared_gets + $(log_from "$mark" | grep -cE "\"GET /v2/[^ ]*/blobs/sha256:$d"))); done
check_eq "push-only B downloads zero bytes of the shared layers (no blob GET for them)" "0" "$shared_gets"
shared_mounts=0
for d in $(head -3 <<<"$a_layers"); do
  shared_mounts=$((shared_mounts + $(log_from "$mark" | grep -cE "\"POST /v2/team-b/env/blobs/uploads/\?mount=sha256:$d[^ ]* HTTP/[0-9.]+\" 201"))); done
check_eq "... and mounts each of them once (POST ?mount= 201)" "3" "$shared_mounts"
check_eq "B's config takes the shared layers' diff_ids from the artifacts: they equal A's" \
  "$(curl -sf "http://$H/v2/team-a/env/blobs/$(jq -r .config.digest <<<"$am")" | jq -r '.rootfs.diff_ids[1:4][]' | paste -sd' ')" \
  "$(curl -sf "http://$H/v2/team-b/env/blobs/$(jq -r .config.digest <<<"$bm")" | jq -r '.rootfs.diff_ids[1:4][]' | paste -sd' ')"
check_eq "B's local package and layer caches got none of the shared layers" "" \
  "$(for d in $(head -3 <<<"$a_layers"); do find "$T/cb" -name "$d*" 2>/dev/null; done)"
check "skopeo copies B's image" sk copy --src-tls-verify=false "docker://$H/team-b/env:1" "oci:$T/b.oci:1"
check "umoci unpacks B's image" umoci unpack --image "$T/b.oci:1" "$T/bundle"
check_eq "python runs in B's image" ok "$(run_in "$T/bundle/rootfs" /opt/env/bin/python -c 'print("ok")')"
check "B's own group is there" test -f "$T/bundle/rootfs/opt/env/share/demo-app/README"
check "B stored its own layer in the cache" grep -q "registry cache $CACHE: 1 layer stored" "$T/b.log"
b_digest="sha256:$(printf '%s' "$bm" | sha256sum | cut -d' ' -f1)"
build "$T/b.yml" --channel "$CH" --cache-dir "$T/cb2" --output "oci:$T/b2.oci" -t b:1 --cache-repo "$CACHE" >/dev/null 2>"$T/b2.log"
check "a local output downloads the registry-cache hits as before" \
  grep -q "layer base-python: from the registry cache $CACHE .*downloaded and verified" "$T/b2.log"
check_eq "the mount-only image is the image a downloading build makes" "$b_digest" "$(jq -r '.manifests[0].digest' "$T/b2.oci/index.json")"

# --- two platforms, push only: the hits stay in the registry, the index joins both layouts -----
# demo-data 1.0 alone is team A's app group (noarch, same prefix): a hit for both platforms
printf 'name: team-m\nchannels: [%s]\ndependencies: [demo-data=1.0]\n' "$CH" >"$T/m.yml"
build "$T/m.yml" --channel "$CH" --cache-dir "$T/cm" --platform linux/amd64,linux/arm64 -t "$H/team-m/env:1" \
  --cache-repo "$CACHE" >/dev/null 2>"$T/m.log"
check_eq "two-platform push-only build on registry-cache hits succeeds" "0" "$?"
check "... its layer stays in the registry" \
  grep -q "layer app: from the registry cache $CACHE .*not downloaded: the push mounts it" "$T/m.log"
check_eq "... the pushed index lists both platforms" "linux/amd64 linux/arm64" \
  "$(sk inspect --raw --tls-verify=false "docker://$H/team-m/env:1" | jq -r '[.manifests[].platform | "\(.os)/\(.architecture)"] | join(" ")')"
check "skopeo copies the arm64 image (its layer was mounted)" \
  sk copy --src-tls-verify=false --override-arch arm64 "docker://$H/team-m/env:1" "oci:$T/m.oci:1"

# --- a registry that refuses the mount (202): warning, download (verified) + upload, same image ---
# tests/fixtures/faultproxy in front of the same registry, with POST ?mount= turned into a plain
# POST: the real registry then opens an ordinary upload session, exactly as for a refused mount
: >"$T/none.rules"
python3 - "$SRC/tests/fixtures/faultproxy" --upstream "$H" --rules "$T/none.rules" --log "$T/proxy.log" \
  --port-file "$T/proxy.port" --max-seconds 300 <<'PY' &
import importlib.machinery, importlib.util, sys
loader = importlib.machinery.SourceFileLoader("faultproxy", sys.argv[1])
fp = importlib.util.module_from_spec(importlib.util.spec_from_loader("faultproxy", loader))
loader.exec_module(fp)
forward = fp.Handler._handle
def refuse_mounts(self):
    if self.command == "POST" and "mount=" in self.path:
        self.path = self.path.split("?", 1)[0]
    forward(self)
fp.Handler._handle = refuse_mounts
sys.argv = [sys.argv[0]] + sys.argv[2:]
fp.main()
PY
PROXY_PID=$!
for _ in $(seq 50); do [ -s "$T/proxy.port" ] && break; sleep 0.1; done
PH="127.0.0.1:$(cat "$T/proxy.port")"
mark=$(wc -l <"$T/reg/registry.log")
build "$T/b.yml" --channel "$CH" --cache-dir "$T/cr" -t "$PH/team-c/env:1" --cache-repo "$PH/shared/layer-cache" >/dev/null 2>"$T/r.log"
check_eq "refused mounts: the push-only build still succeeds" "0" "$?"
# B stored its own layer, so all four of B's layers are registry-cache hits now
check_eq "refused mounts: one warning per layer naming blob and source repository" "4" \
  "$(grep -cE "warning: registry $PH: blob sha256:[0-9a-f]{64} is neither local nor mountable from shared/layer-cache \(the registry refused the mount\); downloading" "$T/r.log")"
r_gets=$(for d in $b_layers; do log_from "$mark" | grep -cE "\"GET /v2/shared/layer-cache/blobs/sha256:$d"; done | paste -sd' ')
check_eq "refused mounts: each layer is downloaded once from the cache repository" "1 1 1 1" "$r_gets"
check_eq "refused mounts: ... and uploaded into team-c/env (with the root filesystem layer)" \
  "$(printf '%s\n' $b_layers "$b_rootfs" | sort)" \
  "$(log_from "$mark" | grep '/v2/team-c/env/' | uploaded | grep -vx "$b_cfg")"
# 4 refused mounts + the session of the push access check made before the build (docs/cli.md)
check_eq "refused mounts: the sessions the refusals opened are cancelled (DELETE)" "5" \
  "$(log_from "$mark" | grep -cE '"DELETE /v2/team-c/env/blobs/uploads/[^ ]* HTTP/[0-9.]+" 204')"
check_eq "refused mounts: the image is B's" "$b_digest" \
  "sha256:$(manifest team-c/env 1 | sha256sum | cut -d' ' -f1)"
kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; PROXY_PID=

# --- a corrupt blob behind a cache tag: warning, built, right image --------------------------
tools=$(sed -n 2p <<<"$a_layers")
f="$T/reg/storage/docker/registry/v2/blobs/sha256/${tools:0:2}/$tools/data"
cp "$f" "$T/tools.good"
printf 'XXXX' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
build "$T/a.yml" --channel "$CH" --cache-dir "$T/cc" --output "oci:$T/c.oci" -t a:1 --cache-repo "$CACHE" >/dev/null 2>"$T/c.log"
check_eq "corrupt cache blob: the build succeeds" "0" "$?"
check "corrupt cache blob: a warning names the layer and the cause" \
  grep -qE "warning: layer tools: registry cache $CACHE entry lk-[0-9a-f]{12} is unusable \(.*corrupt download" "$T/c.log"
check "corrupt cache blob: the other layers still come from the registry" grep -q "layer base-python: from the registry cache" "$T/c.log"
check_eq "corrupt cache blob: the image equals team A's" "$a_digest" "$(jq -r '.manifests[0].digest' "$T/c.oci/index.json")"
cp "$T/tools.good" "$f"

# --- a missing blob behind a cache tag: warning, built, and put back -----------------------------
noarch=$(sed -n 3p <<<"$a_layers")
check "the noarch blob is deleted from the cache repository" \
  curl -sf -X DELETE "http://$H/v2/shared/layer-cache/blobs/sha256:$noarch"
build "$T/a.yml" --channel "$CH" --cache-dir "$T/cd" --output "oci:$T/d.oci" -t a:1 --cache-repo "$CACHE" >/dev/null 2>"$T/d.log"
check_eq "missing cache blob: the build succeeds" "0" "$?"
check "missing cache blob: a warning names the layer" grep -q "warning: layer noarch: registry cache $CACHE entry lk-.* is unusable (.*HTTP 404" "$T/d.log"
check "missing cache blob: the rebuilt layer is stored again" grep -q "registry cache $CACHE: 1 layer stored" "$T/d.log"
build "$T/a.yml" --channel "$CH" --cache-dir "$T/ce" --output "oci:$T/e.oci" -t a:1 --cache-repo "$CACHE" >/dev/null 2>"$T/e.log"
check "after the repair a fresh build takes all four layers from the registry" grep -q "registry cache $CACHE: 4 layers taken from it" "$T/e.log"

# --- an unreachable cache registry: warning, build goes on -------------------------------------
build "$T/a.yml" --channel "$CH" --cache-dir "$T/cf" --output "oci:$T/f.oci" -t a:1 --cache-repo "127.0.0.1:1/nobody/cache" >/dev/null 2>"$T/f.log"
check_eq "unreachable cache registry: the build succeeds" "0" "$?"
check "unreachable cache registry: one warning, then no more asking" grep -q "warning: registry cache 127.0.0.1:1/nobody/cache cannot be read" "$T/f.log"
# --- a cache repository behind TLS + htpasswd: the build's --creds and --ca-cert serve it too ---
PASS='cache-Pa55-imgbuild'
P2=$("$REG" start "$T/reg-auth" --tls --htpasswd "ci:$PASS") || { echo "FAIL: auth registry did not start"; exit 1; }
AUTH="127.0.0.1:$P2/team/cache"
TLSOPTS=(--ca-cert "$T/reg-auth/tls/crt.pem")
build "$T/a.yml" --channel "$CH" --cache-dir "$T/ch1" --output "oci:$T/h1.oci" --cache-repo "$AUTH" "${TLSOPTS[@]}" --creds "ci:$PASS" >/dev/null 2>"$T/h1.log"
check "authenticated cache: team A stores its layers" grep -q "registry cache $AUTH: 4 layers stored" "$T/h1.log"
IMGBUILD_REGISTRY_USER=ci IMGBUILD_REGISTRY_PASSWORD=$PASS build "$T/b.yml" --channel "$CH" --cache-dir "$T/ch2" --output "oci:$T/h2.oci" --cache-repo "$AUTH" "${TLSOPTS[@]}" >/dev/null 2>"$T/h2.log"
check "authenticated cache: team B takes the shared layers" grep -q "registry cache $AUTH: 3 layers taken from it" "$T/h2.log"
build "$T/b.yml" --channel "$CH" --cache-dir "$T/ch3" --output "oci:$T/h3.oci" --cache-repo "$AUTH" "${TLSOPTS[@]}" >/dev/null 2>"$T/h3.log"
check_eq "authenticated cache without credentials: the build still succeeds" "0" "$?"
check "... after one warning naming the 401" grep -q "warning: registry cache $AUTH cannot be read (.*HTTP 401" "$T/h3.log"
if cat "$T"/h*.log | grep -qF "$PASS"; then e2e_bad "the password never appears in output"; else e2e_ok "the password never appears in output"; fi
"$REG" stop "$T/reg-auth"

expect_fail "--cache-repo with a tag is refused" "names a repository, not an image" \
  build "$T/a.yml" --channel "$CH" --cache-dir "$T/cf" --output "oci:$T/g.oci" --cache-repo "$CACHE:v1"

e2e_finish

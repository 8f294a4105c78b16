#!/usr/bin/env bash
# Builds spread over machines through the registry (issue 14 part 4, builder/spread.c,
# docs/distributed-builds.md), against Debian's docker-registry behind TLS + htpasswd: four
# `build --layers` processes run at once, each with its own --cache-dir as separate machines
# would, each building some groups of one environment into one cache repository (two of them
# overlap, so one layer is built by two machines at the same time); then the assembling build,
# on yet another fresh cache, builds zero layers and uploads zero bytes of them (counted in the
# registry's access log), and its image is the one a single-machine build makes. A read-only
# registry serving the same storage is still read (hits used, nothing stored, build fine), a
# cache whose uploads fail warns and goes on, and --layers fails in both cases.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_tools docker-registry jq curl htpasswd openssl python3
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-spread.XXXXXX)
REG="$SRC/tests/fixtures/registry"
PROXY_PID=
cleanup() { [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null; "$REG" stop "$T/reg"; "$REG" stop "$T/reg-ro"; rm -rf "$T"; }
trap cleanup EXIT
export SOURCE_DATE_EPOCH=0

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
CH="file://$T/channel"
PASS='spread-Pa55-imgbuild'
P=$("$REG" start "$T/reg" --tls --htpasswd "ci:$PASS") || { echo "FAIL: registry did not start"; exit 1; }
H="127.0.0.1:$P"
CACHE="$H/shared/layers"
CA="$T/reg/tls/crt.pem"
cat >"$T/recipe.yaml" <<'EOF'
version: 1
groups:
  - {name: base-python, closure_of: [python]}
  - {name: tools, match: [prefixdemo, linkdemo]}
  - {name: noarch, match: [hello-noarch]}
  - {name: app, rest: true}
EOF
printf 'name: spread\nchannels: [%s]\ndependencies: [python=3.11, prefixdemo, hello-noarch, linkdemo, demo-data=1.0]\n' "$CH" >"$T/env.yml"
printf 'name: spread\nchannels: [%s]\ndependencies: [python=3.11, prefixdemo, hello-noarch, linkdemo, demo-app]\n' "$CH" >"$T/other.yml"
# --sbom/--provenance none: the referrers are test_sbom.sh's; this test counts layer uploads
build() { "$BIN" build "$@" --channel "$CH" --recipe "$T/recipe.yaml" --prefix /opt/env --sbom none --provenance none; }
auth=(--ca-cert "$CA" --creds "ci:$PASS")
cu() { curl -sf --cacert "$CA" -u "ci:$PASS" "$@"; }
manifest() { cu -H 'Accept: application/vnd.oci.image.manifest.v1+json' "https://$H/v2/$1/manifests/$2"; }
log_from() { tail -n +"$(($1 + 1))" "$T/reg/registry.log"; }
uploaded() { reg_log_uploaded; }
mounted() { reg_log_mounted; }
blob_size() { stat -c %s "$T/reg/storage/docker/registry/v2/blobs/sha256/${1:0:2}/$1/data"; }
# the SOURCE column of a build's layer table: "GROUP SOURCE" per layer
sources() { awk 'NR > 1 && $NF ~ /^(built|layer-cache|registry-cache)$/ {print $1, $NF}' "$1"; }

# --- the reference: one machine, no registry cache --------------------------------------------
build "$T/env.yml" --cache-dir "$T/c-ref" -t "$H/ref/env:1" "${auth[@]}" >"$T/ref.out" 2>"$T/ref.log"
check_eq "single-machine build and push" "0" "$?"
ref_digest=$(sed -n 's/^digest: //p' "$T/ref.out")

# --- the flags ---------------------------------------------------------------------------------
expect_fail "--layers with an unknown group names the recipe's groups" \
  "recipe \(.*recipe.yaml\) has no group 'frameworks'; its groups: base-python, tools, noarch, app" \
  build "$T/env.yml" --cache-dir "$T/c-x" --layers tools,frameworks --cache-repo "$CACHE" "${auth[@]}"
expect_fail "--layers needs --cache-repo" "--layers app: builds layers into the registry cache, so it needs --cache-repo" \
  build "$T/env.yml" --cache-dir "$T/c-x" --layers app
expect_fail "--layers takes no -t" "--layers app writes no image, so -t has nothing to act on" \
  build "$T/env.yml" --cache-dir "$T/c-x" --layers app --cache-repo "$CACHE" -t "$H/x/y:1" "${auth[@]}"
check_eq "... and nothing was stored" "" "$(cu "https://$H/v2/shared/layers/tags/list" 2>/dev/null | jq -r '.tags[]?')"

# --- four machines at once, one cache repository -------------------------------------------------
mark=$(wc -l <"$T/reg/registry.log")
groups=(base-python tools,noarch app base-python,app)
for i in 0 1 2 3; do
  build "$T/env.yml" --cache-dir "$T/m$i" --layers "${groups[$i]}" --cache-repo "$CACHE" "${auth[@]}" \
    >"$T/m$i.out" 2>"$T/m$i.log" &
  pids[$i]=$!
done
for i in 0 1 2 3; do wait "${pids[$i]}"; echo $? >"$T/m$i.rc"; done
check_eq "four concurrent --layers builds succeed" "0 0 0 0" "$(cat "$T"/m[0-3].rc | paste -sd' ')"
check_eq "machine 1 lists only its group" "base-python built" "$(sources "$T/m0.out")"
check_eq "machine 2 lists only its groups" "tools built|noarch built" "$(sources "$T/m1.out" | paste -sd'|')"
check_eq "machine 3 lists only its group" "app built" "$(sources "$T/m2.out")"
# machine 4 races machines 1 and 3 for the same two layers: it builds each one, or finds it
# already stored (the same bytes either way: docs/distributed-builds.md)
check_eq "machine 4, overlapping, builds or finds both (and lists only them)" "base-python|app" \
  "$(sources "$T/m3.out" | awk '$2 == "built" || $2 == "registry-cache" {print $1}' | paste -sd'|')"
check_eq "the cache repository holds four lk-<key> tags" "4" \
  "$(cu "https://$H/v2/shared/layers/tags/list" | jq -r '.tags[]' | grep -cE '^lk-[0-9a-f]{64}$')"
check_eq "no image was pushed (only the cache and the reference repositories)" "ref/env shared/layers" \
  "$(cu "https://$H/v2/_catalog" | jq -r '.repositories[]' | sort | paste -sd' ')"
check_eq "no manifest but the four cache entries was written" "0" \
  "$(log_from "$mark" | grep -E '"PUT /v2/[^ ]*/manifests/' | grep -cvE '"PUT /v2/shared/layers/manifests/lk-[0-9a-f]{64} ')"
app_pkgs=$(awk '$1 == "app" {print $2}' "$T/m2.out")
check_eq "machine 3 fetched only its group's packages" "$app_pkgs" "$(ls "$T/m2/pkgs/sha256" | wc -l)"
check "machine 3 did not build the other groups" grep -q "layer 1: base-python (.*), not selected (--layers)" "$T/m2.log"
check "... nor install their packages (the base image policy is the assembling build's)" \
  grep -qE "layer cache: 0 of 4 layers reused; $app_pkgs of [0-9]+ packages to fetch and install" "$T/m2.log"
# every layer's tag points at one manifest, whichever machine's PUT came last
for g in base-python app; do
  n=$(for i in 0 2 3; do awk -v g=$g '$1 == g {print $(NF-1)}' "$T/m$i.out"; done | sort -u | wc -l)
  check_eq "the machines that made $g made the same blob" "1" "$n"
done

# --- the assembling build: fresh cache, nothing built, no layer byte uploaded -----------------
mark=$(wc -l <"$T/reg/registry.log")
build "$T/env.yml" --cache-dir "$T/c-asm" --cache-repo "$CACHE" -t "$H/team/env:1" "${auth[@]}" \
  --metadata-file "$T/asm.json" >"$T/asm.out" 2>"$T/asm.log"
check_eq "the assembling build succeeds" "0" "$?"
check_eq "its metadata: 0 layers built, 4 reused" "0 4" "$(jq -r '"\(.layersBuilt) \(.layersReused)"' "$T/asm.json")"
check_eq "its metadata: every package layer from the registry cache (the rootfs layer generated)" \
  "generated registry-cache registry-cache registry-cache registry-cache" \
  "$(jq -r '[.layers[].source] | join(" ")' "$T/asm.json")"
check_eq "its layer table says the same" "4" "$(sources "$T/asm.out" | grep -c ' registry-cache$')"
check_eq "its image is the single-machine build's" "$ref_digest" "$(jq -r '."containerimage.digest"' "$T/asm.json")"
# the machines' scan findings came with the layers (builder/scan_share.h): the base image
# policy decides without a package on this machine
check_eq "... and it fetches no package, not even to scan it for the base image policy" "0" \
  "$(ls "$T/c-asm/pkgs/sha256" 2>/dev/null | wc -l)"
check "... it says so: nothing to fetch and install" \
  grep -qE "layer cache: 4 of 4 layers reused; 0 of [0-9]+ packages to fetch and install" "$T/asm.log"
check_eq "... and installs none to be scanned" "0" "$(grep -c 'never scanned' "$T/asm.log")"
check_eq "... every package's findings were taken from the cache entries" \
  "$(ls "$T/c-ref/basecheck" 2>/dev/null | sort | paste -sd' ')" "$(ls "$T/c-asm/basecheck" 2>/dev/null | sort | paste -sd' ')"
am=$(manifest team/env 1)
group_layers=$(jq -r '.layers[1:][].digest' <<<"$am" | cut -d: -f2 | sort)
rootfs=$(jq -r '.layers[0].digest' <<<"$am" | cut -d: -f2)
cfg=$(jq -r .config.digest <<<"$am" | cut -d: -f2)
up=$(log_from "$mark" | uploaded)
check_eq "it uploads no group layer: only the root filesystem layer and the config" \
  "$(printf '%s\n' "$rootfs" "$cfg" | sort)" "$up"
bytes=0; for d in $(comm -12 <(printf '%s\n' "$up") <(printf '%s\n' "$group_layers")); do bytes=$((bytes + $(blob_size "$d"))); done
check_eq "... zero bytes of the four group layers" "0" "$bytes"
check_eq "... which it mounts from the cache repository instead" "$group_layers" \
  "$(log_from "$mark" | grep '/v2/team/env/' | mounted)"
gets=0; for d in $group_layers; do gets=$((gets + $(log_from "$mark" | grep -cE "\"GET /v2/[^ ]*/blobs/sha256:$d"))); done
check_eq "... and never downloads (no blob GET of them)" "0" "$gets"

# --- a pull-only cache: a read-only registry serving the same storage ---------------------------
mkdir -p "$T/reg-ro" && ln -s "$T/reg/storage" "$T/reg-ro/storage"
PR=$("$REG" start "$T/reg-ro" --tls --read-only --htpasswd "ci:$PASS") || { echo "FAIL: read-only registry did not start"; exit 1; }
RO="127.0.0.1:$PR/shared/layers"
ro=(--ca-cert "$T/reg-ro/tls/crt.pem" --creds "ci:$PASS")
build "$T/other.yml" --cache-dir "$T/c-ro" --cache-repo "$RO" --output "oci:$T/ro.oci" -t o:1 "${ro[@]}" >"$T/ro.out" 2>"$T/ro.log"
check_eq "read-only cache: the build succeeds" "0" "$?"
check "... one warning: it takes no pushes, read-only for this build" \
  grep -q "warning: registry cache $RO takes no pushes (.*405.*); it is read-only for this build" "$T/ro.log"
check "... its hits are used" grep -q "registry cache $RO: 3 layers taken from it" "$T/ro.log"
check "... the layer it built is not stored, and says so" grep -q "registry cache $RO is read-only for this build: 1 layer not stored there" "$T/ro.log"
# the access check's POST (after its 401 challenge) is the only push request it gets
check_eq "... no push was tried after the check" "1" "$(grep -E '"(POST|PUT|PATCH) /v2/' "$T/reg-ro/registry.log" | grep -cvE '" 401 ')"
check_eq "... its table: three from the registry, one built" "base-python registry-cache|tools registry-cache|noarch registry-cache|app built" \
  "$(sources "$T/ro.out" | paste -sd'|')"
expect_fail "read-only cache: --layers fails, naming the refusal" \
  "--layers stores layers in the registry cache, and it refused: .*405" \
  build "$T/other.yml" --cache-dir "$T/c-ro2" --layers app --cache-repo "$RO" "${ro[@]}"
"$REG" stop "$T/reg-ro"

# --- a cache whose uploads fail after the access check: a warning, or --layers' error ----------
echo 'PUT /manifests/lk- 500 *' >"$T/fail.rules"
python3 "$SRC/tests/fixtures/faultproxy" --upstream "$H" --upstream-tls --tls-cert "$CA" --tls-key "$T/reg/tls/key.pem" \
  --rules "$T/fail.rules" --log "$T/proxy.log" --port-file "$T/proxy.port" --max-seconds 300 &
PROXY_PID=$!
for _ in $(seq 50); do [ -s "$T/proxy.port" ] && break; sleep 0.1; done
FC="127.0.0.1:$(cat "$T/proxy.port")/shared/layers"
build "$T/other.yml" --cache-dir "$T/c-f1" --cache-repo "$FC" --output "oci:$T/f.oci" -t o:1 "${auth[@]}" >"$T/f1.out" 2>"$T/f1.log"
check_eq "failing cache uploads: an image build still succeeds" "0" "$?"
check "... with a warning naming the layer" \
  grep -q "warning: layer app could not be stored in the registry cache $FC (.*500.*); the image is fine" "$T/f1.log"
check_eq "... and the same image as with a working cache" "$(jq -r '.manifests[0].digest' "$T/ro.oci/index.json")" \
  "$(jq -r '.manifests[0].digest' "$T/f.oci/index.json")"
expect_fail "failing cache uploads: --layers fails" \
  "--layers: 1 layer could not be stored in the registry cache $FC" \
  build "$T/other.yml" --cache-dir "$T/c-f2" --cache-repo "$FC" --layers app "${auth[@]}"

e2e_finish

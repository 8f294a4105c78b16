#!/usr/bin/env bash
# Pushes through tests/fixtures/faultproxy in front of a plain-HTTP docker-registry: with a
# connection dropped half-way through a chunk PATCH, 500s and a 429 (Retry-After: 1), the push
# still completes and the registry holds the image under the layout's manifest digest; a push
# that cannot succeed (uploads answered 500 forever; the registry gone) ends within bounded
# time with an error naming registry, operation and status, and leaves no tag behind. Also
# `imgbuild push oci:DIR REF...` of the built layout.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_tools skopeo docker-registry jq python3 unshare
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-regfault.XXXXXX)
REG="$SRC/tests/fixtures/registry"
PROXY_PIDS=()
cleanup() {
  local p
  for p in "${PROXY_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  "$REG" stop "$T/reg"
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
export SOURCE_DATE_EPOCH=0
# small chunks: every layer above 256 KiB goes up in several PATCHes (reg.c's test knob)
export IMGBUILD_UPLOAD_CHUNK_BYTES=262144
sk() { unshare -m sh -c "mount -t tmpfs tmpfs /var/lib/containers/cache 2>/dev/null || true; exec skopeo \"\$@\"" sh "$@"; }
mkdir -p /var/lib/containers/cache

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
ENV="$SRC/examples/demo/environment.yml"
build() { "$BIN" build "$ENV" --channel "file://$T/channel" --cache-dir "$T/cache" "$@"; }

P=$("$REG" start "$T/reg") || { echo "FAIL: registry did not start"; exit 1; }
R="127.0.0.1:$P"

# proxy NAME RULES: starts a fault proxy in front of the registry; sets PX to its host:port
# (not via $(...): the background proxy would hold the substitution's pipe open)
proxy() {
  printf '%s\n' "$2" >"$T/$1.rules"
  "$SRC/tests/fixtures/faultproxy" --upstream "$R" --rules "$T/$1.rules" --log "$T/$1.log" \
    --port-file "$T/$1.port" --max-seconds 300 >"$T/$1.out" 2>&1 </dev/null &
  PROXY_PIDS+=($!)
  local i
  for i in $(seq 1 100); do [ -s "$T/$1.port" ] && break; sleep 0.05; done
  PX="127.0.0.1:$(cat "$T/$1.port")"
}

check "the image builds to a layout" build --output "oci:$T/img.oci" -t demo:1
want=$(jq -r '.manifests[0].digest' "$T/img.oci/index.json")
big=$(jq -r '.layers|max_by(.size).size' "$T/img.oci/blobs/sha256/${want#sha256:}")
check "the largest layer needs several chunks" test "$big" -gt $((4 * IMGBUILD_UPLOAD_CHUNK_BYTES))

# --- imgbuild push: an existing layout, several tags -------------------------------------------
check "imgbuild push sends a built layout under two tags" "$BIN" push "oci:$T/img.oci" "$R/team/pushed:1" "$R/team/pushed:2"
check_eq "both tags carry the layout's manifest digest" "$want $want" \
  "$(sk inspect --tls-verify=false "docker://$R/team/pushed:1" | jq -r .Digest) $(sk inspect --tls-verify=false "docker://$R/team/pushed:2" | jq -r .Digest)"
expect_fail "imgbuild push refuses tags of different repositories" "every reference must be a tag of 127.0.0.1:$P/team/pushed" \
  "$BIN" push "oci:$T/img.oci" "$R/team/pushed:3" "$R/other/x:1"
expect_fail "imgbuild push wants a registry in the reference" "names no registry" "$BIN" push "oci:$T/img.oci" team/x:1

# --- faults that a push survives -----------------------------------------------------------
proxy flaky '
PATCH /blobs/uploads/ drop 1          # the 1st chunk: cut half-way (distribution drops the
GET /blobs/uploads/ 500 1             # session); the status query after it fails once
PATCH /blobs/uploads/ drop-reply 1 3  # the 5th lands but its answer is lost (the session
                                      # state token is then stale: a new session starts)
PATCH /blobs/uploads/ 500 1 6         # the 10th fails: ask the Range, resume mid-blob
HEAD /blobs/ 500 1
POST /blobs/uploads/ 429 1
PUT /manifests/ 503 1'
H=$PX
start=$(date +%s)
build -t "$H/team/demo:1" --metadata-file "$T/meta.json" >"$T/flaky.out" 2>"$T/flaky.err"
rc=$?
check_eq "the push through a flaky proxy succeeds" 0 "$rc"
[ "$rc" = 0 ] || tail -20 "$T/flaky.err"
check_eq "the pushed digest is the layout's manifest digest" "$want" "$(jq -r .digest "$T/meta.json")"
check_eq "the registry serves the tag under that digest" "$want" \
  "$(sk inspect --tls-verify=false "docker://$R/team/demo:1" | jq -r .Digest)"
check "skopeo copies the image back (every blob intact)" \
  sk copy --src-tls-verify=false "docker://$R/team/demo:1" "oci:$T/back.oci:1"
check "the connection was dropped mid-PATCH" grep -q '^PATCH .* -> drop after [1-9][0-9]* of' "$T/flaky.log"
for s in 429 500 503; do
  check "the proxy answered $s" grep -q " -> $s\$" "$T/flaky.log"
done
check "a chunk's answer was lost after the registry took it" grep -q '^PATCH .* -> drop-reply (the registry answered 202)' "$T/flaky.log"
check "the client resumed mid-blob from the registry's Range" grep -qE 'resuming at byte [1-9]' "$T/flaky.err"
check "the faults were retried, not fatal" grep -q 'retrying' "$T/flaky.err"
check "the flaky push took bounded time" test $(( $(date +%s) - start )) -lt 120

# --- a push that cannot succeed --------------------------------------------------------------
proxy broken 'PATCH /blobs/uploads/ 500 *'
H=$PX
start=$(date +%s)
expect_fail "uploads failing forever end with registry, operation and status" \
  "registry $H: upload blob sha256:[0-9a-f]{64} \([0-9]+ bytes\) to team/broken: HTTP 500 \(UNKNOWN: faultproxy: injected failure\)" \
  build -t "$H/team/broken:1"
check "the failing push gave up within bounded time" test $(( $(date +%s) - start )) -lt 90
expect_fail "no tag exists after the failed push" "manifest unknown|not found|MANIFEST_UNKNOWN" \
  sk inspect --tls-verify=false "docker://$R/team/broken:1"
check "no manifest was ever PUT for it" bash -c "! grep -q 'PUT /v2/team/broken/manifests' '$T/reg/registry.log'"

proxy gone ''
H=$PX
"$REG" stop "$T/reg"
start=$(date +%s)
expect_fail "a registry that went away: error names registry and operation" \
  "registry $H: GET /v2/ \(API check\): " build -t "$H/team/gone:1"
check "and gives up within bounded time" test $(( $(date +%s) - start )) -lt 60

e2e_finish

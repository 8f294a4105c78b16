#!/usr/bin/env bash
# Reading referrers from a registry (issue 15, oci/reg_referrers.c and oci/referrers.c): the
# OCI 1.1 referrers API, paginated with `Link: <...>; rel="next"` (Debian's docker-registry has
# no referrers API, so tests/fixtures/layoutregistry serves a layout built here, one artifact
# per page, the SBOM on the last); the referrers tag schema when the API answers 404; and a
# referrers tag index whose bytes do not match its Docker-Content-Digest, which is refused.
# inspect reads the SBOM through each.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_tools jq python3
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
FX="$SRC/tests/fixtures"
T=$(mktemp -d /tmp/imgbuild-referrers.XXXXXX)
PID=
stop() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; PID=; }
cleanup() {
  stop
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
export SOURCE_DATE_EPOCH=1700000000

"$FX/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
check "build with an SBOM and provenance into a layout" "$BIN" build "$SRC/examples/demo/environment.yml" \
  --channel "file://$T/channel" --cache-dir "$T/cache" --sbom spdx --provenance slsa --output "oci:$T/a.oci" -t demo:1.0
"$BIN" inspect --format json "oci:$T/a.oci:1.0" >"$T/want.json"
want=$(jq -c '[.platforms[0].layers[].packages[].name]' "$T/want.json")
check "the layout's SBOM lists packages" test "$(jq length <<<"$want")" -ge 3

# serve [layoutregistry options]: starts the fixture on the layout; sets H
serve() {
  stop
  rm -f "$T/port"
  : >"$T/reg.log"
  "$FX/layoutregistry" --layout "$T/a.oci" --repo team/demo --log "$T/reg.log" --port-file "$T/port" "$@" \
    >"$T/reg.out" 2>&1 </dev/null &
  PID=$!
  for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
  H="127.0.0.1:$(cat "$T/port")"
}
inspect() { "$BIN" inspect --format json "$H/team/demo:1.0"; }

# --- the referrers API, one artifact per page, the SBOM on the second ------------------------
serve --page-size 1 --reverse
inspect >"$T/paged.json" 2>"$T/paged.err"
check_eq "inspect through a paginated referrers API" "0" "$?"
check_eq "... finds the SBOM on the second page" "spdx" "$(jq -r '.platforms[0].sbom' "$T/paged.json")"
check_eq "... and lists the layout's packages" "$want" "$(jq -c '[.platforms[0].layers[].packages[].name]' "$T/paged.json")"
check "... it followed the Link header" grep -q "GET /v2/team/demo/referrers/sha256:[0-9a-f]*?page=1 -> 200" "$T/reg.log"
check "... and asked no referrers tag" test -z "$(grep 'manifests/sha256-' "$T/reg.log")"

# --- no referrers API: the tag schema ---------------------------------------------------------
serve --no-referrers-api
inspect >"$T/tag.json" 2>"$T/tag.err"
check_eq "inspect where the referrers API answers 404" "0" "$?"
check "... reads the referrers tag" grep -q "GET /v2/team/demo/manifests/sha256-[0-9a-f]* -> 200" "$T/reg.log"
check_eq "... and lists the same packages" "$want" "$(jq -c '[.platforms[0].layers[].packages[].name]' "$T/tag.json")"

# --- a tampered referrers tag index ------------------------------------------------------------
serve --no-referrers-api --tamper-tag-index
expect_fail "a referrers tag index whose bytes do not match its Docker-Content-Digest is refused" \
  "Docker-Content-Digest sha256:[0-9a-f]* does not match the bytes" inspect

e2e_finish

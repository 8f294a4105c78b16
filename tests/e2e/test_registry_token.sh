#!/usr/bin/env bash
# Bearer-token auth end to end: docker-registry in `auth: token` mode trusting the certificate
# of tests/fixtures/tokenserver (RS256 JWTs, libtrust kid) on loopback. Pushes and pulls with
# --creds, a wrong password fails clearly at the token endpoint, a push to a second repository
# asks for pull on the mount source and mounts, a Docker-config identitytoken is traded as an
# OAuth2 refresh token, skopeo accepts what was pushed, and neither the password, the refresh
# token nor any issued token appears in any output.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_tools skopeo docker-registry jq python3 openssl unshare curl
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-regtok.XXXXXX)
REG="$SRC/tests/fixtures/registry"
TS_PID=
cleanup() {
  [ -n "$TS_PID" ] && { kill "$TS_PID" 2>/dev/null; wait "$TS_PID" 2>/dev/null; }
  "$REG" stop "$T/reg"
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
export SOURCE_DATE_EPOCH=0
unset IMGBUILD_REGISTRY_USER IMGBUILD_REGISTRY_PASSWORD
export DOCKER_CONFIG="$T/no-docker-config"
sk() { unshare -m sh -c "mount -t tmpfs tmpfs /var/lib/containers/cache 2>/dev/null || true; exec skopeo \"\$@\"" sh "$@"; }
mkdir -p /var/lib/containers/cache

PASS='t0ken-Pa55-imgbuild'
RTOK='refresh-7f3a9c-imgbuild'
"$SRC/tests/fixtures/tokenserver" --dir "$T/ts" --user "ci:$PASS" --refresh-token "$RTOK:ci" \
  --port-file "$T/ts.port" --max-seconds 300 >"$T/ts.out" 2>&1 </dev/null &
TS_PID=$!
for i in $(seq 1 200); do [ -s "$T/ts.port" ] && break; sleep 0.05; done
[ -s "$T/ts.port" ] || { cat "$T/ts.out"; echo "FAIL: token server did not start"; exit 1; }
REALM="http://127.0.0.1:$(cat "$T/ts.port")/token"
P=$("$REG" start "$T/reg" --token "$REALM" --token-cert "$T/ts/cert.pem") ||
  { echo "FAIL: registry did not start"; exit 1; }
H="127.0.0.1:$P"

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
build() { "$BIN" build "$SRC/examples/demo/environment.yml" --channel "file://$T/channel" --cache-dir "$T/cache" "$@"; }
mounts() { grep -cE '"POST /v2/[^ ]*/blobs/uploads/\?mount=[^ ]* HTTP/[0-9.]+" 201' "$T/reg/registry.log" || true; }
uploads() { grep -cE '"PUT /v2/[^ ]*/blobs/uploads/[^ ]*digest=' "$T/reg/registry.log" || true; }

check "the registry demands a Bearer token" bash -c \
  "curl -s -D- -o /dev/null http://$H/v2/ | grep -qi '^www-authenticate: Bearer realm=\"$REALM\"'"

# logged NAME CMD...: runs CMD with its output also kept in $T/NAME.log (for the secrets grep)
logged() { local n=$1; shift; "$@" 2>&1 | tee "$T/$n.log"; return "${PIPESTATUS[0]}"; }
expect_fail "no credentials: the anonymous token grants nothing; 401 with a hint" \
  "registry $H: .*HTTP 401.*--creds" logged anon build -t "$H/team/demo:1"
expect_fail "a wrong password is refused by the token endpoint, named" \
  "registry $H: token for .* from $REALM: HTTP 401.*--creds" logged wrongpw build -t "$H/team/demo:1" --creds ci:wrong
check "no tag after the refused pushes" bash -c "! grep -q 'PUT /v2/team/demo/manifests' '$T/reg/registry.log'"

build -t "$H/team/demo:1" --creds "ci:$PASS" --metadata-file "$T/meta.json" >"$T/push1.log" 2>&1
check_eq "push with a Bearer token from --creds" 0 $?
check "the token endpoint was asked for push on the repository" \
  grep -qE '^GET service=imgbuild-test-registry user=ci scopes=.*repository:team/demo:pull,push' "$T/ts/requests.log"
check_eq "skopeo (with the same credentials) sees the pushed digest" "$(jq -r .digest "$T/meta.json")" \
  "$(sk inspect --tls-verify=false --creds "ci:$PASS" "docker://$H/team/demo:1" | jq -r .Digest)"
check "skopeo copies it back" sk copy --src-tls-verify=false --src-creds "ci:$PASS" "docker://$H/team/demo:1" "oci:$T/back.oci:1"

m0=$(mounts); u0=$(uploads)
build -t "$H/other/demo:2" --creds "ci:$PASS" >"$T/push2.log" 2>&1
check_eq "push to a second repository" 0 $?
check "its token covers pull on the mount source" \
  grep -qE '^GET .*user=ci scopes=.*repository:other/demo:pull,push.*repository:team/demo:pull' "$T/ts/requests.log"
check_eq "the second repository got its blobs by mount" "$u0" "$(uploads)"
check "every blob was mounted" test "$(( $(mounts) - m0 ))" -ge 3

# --base through the token registry (pull scope only)
check "--base pulls through the token registry" build --base "$H/team/demo:1" --creds "ci:$PASS" \
  --output "oci:$T/onbase.oci" -t onbase:1

# a Docker config identitytoken: POST grant_type=refresh_token, no password sent
mkdir -p "$T/dcfg"
printf '{"auths":{"%s":{"auth":"%s","identitytoken":"%s"}}}' "$H" "$(printf 'ci:' | base64 -w0)" "$RTOK" \
  >"$T/dcfg/config.json"
DOCKER_CONFIG="$T/dcfg" build -t "$H/team/idtok:1" >"$T/push3.log" 2>&1
check_eq "push with an identitytoken from the Docker config" 0 $?
check "it was traded as an OAuth2 refresh token" \
  grep -qE '^POST grant=refresh_token client_id=imgbuild service=imgbuild-test-registry user=ci scopes=.*repository:team/idtok:pull,push' "$T/ts/requests.log"
printf '{"auths":{"%s":{"auth":"%s","identitytoken":"revoked"}}}' "$H" "$(printf 'ci:' | base64 -w0)" \
  >"$T/dcfg/config.json"
expect_fail "a revoked identitytoken fails at the token endpoint" "token for .* from $REALM: HTTP 401" \
  logged revoked env DOCKER_CONFIG="$T/dcfg" "$BIN" build "$SRC/examples/demo/environment.yml" --channel "file://$T/channel" \
  --cache-dir "$T/cache" -t "$H/team/idtok:2"

leaked=0
for secret in "$PASS" "$RTOK" $(cut -d. -f3 "$T/ts/issued"); do
  if cat "$T"/*.log "$T/reg/registry.log" 2>/dev/null | grep -qF -- "$secret"; then leaked=1; fi
done
check_eq "no password, refresh token or issued token appears in any output or log" 0 "$leaked"
check "tokens were issued at all (the grep had something to look for)" test -s "$T/ts/issued"

e2e_finish

#!/usr/bin/env bash
# The one HTTP client (common/http.c) end to end, against loopback servers: a channel over
# HTTPS signed by a test CA (--ca-cert, $SSL_CERT_FILE; without it the error names the URL and
# the CLI says how to trust the CA), a channel reached only through a forward proxy
# (HTTPS_PROXY / https_proxy / upper-case HTTP_PROXY, NO_PROXY; the proxy's log shows the
# requests), a flaky channel (500 then 200, 429 + Retry-After) and a broken one (500 forever:
# bounded attempts, URL and status in the error). Then the hostile cases of issue 10: a record
# url pointing at a local file (#2), a package body longer than its record (#2), an upload
# Location on another host (#4: no Authorization goes there), a plain-http Location from a TLS
# registry (#4: refused), a blob redirect to another host (no Authorization) or to plain http
# (refused), an endless blob and a dripping one (#11: bounded by the descriptor's size, and by
# IMGBUILD_HTTP_LOW_SPEED_TIME).
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_tools docker-registry htpasswd openssl jq python3 timeout
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
FX="$SRC/tests/fixtures"
T=$(mktemp -d /tmp/imgbuild-http.XXXXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  "$FX/registry" stop "$T/reg"
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
# the test decides which proxy each command sees
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
unset SSL_CERT_FILE REQUESTS_CA_BUNDLE CURL_CA_BUNDLE
export SOURCE_DATE_EPOCH=0

"$FX/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
ENV="$SRC/examples/demo/environment.yml"
lock() { "$BIN" lock "$ENV" -o "$T/out.lock" --format explicit "$@"; }
lacks() { ! grep -qE -- "$1" <<<"$2"; } # lacks REGEX TEXT

# A test CA and a server certificate it signs, for 127.0.0.1, localhost and channel.test.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=imgbuild-test-ca \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -keyout "$T/ca.key" -out "$T/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$T/srv.key" -out "$T/srv.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:channel.test\nextendedKeyUsage=serverAuth\n' >"$T/srv.ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 2 \
  -extfile "$T/srv.ext" -out "$T/srv.pem" >/dev/null 2>&1 || { echo "FAIL: test CA"; exit 1; }

# wait_port FILE: sets PORT once a fixture wrote its port file
wait_port() {
  local i
  for i in $(seq 1 200); do [ -s "$1" ] && break; sleep 0.05; done
  PORT=$(cat "$1" 2>/dev/null)
  [ -n "$PORT" ] || { echo "FAIL: fixture behind $1 did not start"; exit 1; }
}
# serve NAME ROOT RULES [httpserve options]: a channel server; sets PORT. (Not via $(...): the
# background server would hold the substitution's pipe open.)
serve() {
  local name=$1 root=$2; shift 2
  printf '%s\n' "$1" >"$T/$name.rules"; shift
  "$FX/httpserve" --root "$root" --log "$T/$name.log" --port-file "$T/$name.port" \
    --rules "$T/$name.rules" --max-seconds 600 "$@" >"$T/$name.out" 2>&1 </dev/null &
  PIDS+=($!)
  wait_port "$T/$name.port"
}

# --- (a) a channel over HTTPS with a test CA ------------------------------------------------
serve tls "$T/channel" '' --tls-cert "$T/srv.pem" --tls-key "$T/srv.key"
TLS="https://127.0.0.1:$PORT"
expect_fail "an untrusted channel names the URL and says how to trust its CA" \
  "cannot fetch $TLS/[a-z0-9-]+/repodata[^ ]*: .*not trusted.*hint: .*--ca-cert FILE.*SSL_CERT_FILE" \
  lock --channel "$TLS" --cache-dir "$T/c-a0"
check "lock over HTTPS with --ca-cert" lock --channel "$TLS" --cache-dir "$T/c-a1" --ca-cert "$T/ca.pem"
check "lock over HTTPS with \$SSL_CERT_FILE" env SSL_CERT_FILE="$T/ca.pem" "$BIN" lock "$ENV" \
  -o "$T/out2.lock" --channel "$TLS" --cache-dir "$T/c-a2"
check "lock over HTTPS with \$REQUESTS_CA_BUNDLE" env REQUESTS_CA_BUNDLE="$T/ca.pem" "$BIN" lock "$ENV" \
  -o "$T/out3.lock" --channel "$TLS" --cache-dir "$T/c-a3"
expect_fail "an unreadable CA variable is named" 'CA file /nonexistent/ca.pem \(from \$SSL_CERT_FILE\)' \
  env SSL_CERT_FILE=/nonexistent/ca.pem "$BIN" lock "$ENV" -o "$T/x.lock" --channel "$TLS" --cache-dir "$T/c-a4"
check "build over HTTPS with --ca-cert (packages too)" "$BIN" build "$ENV" --channel "$TLS" \
  --cache-dir "$T/c-a5" --ca-cert "$T/ca.pem" --output "oci:$T/tls.oci" -t demo:1
check "the packages came from the HTTPS server" grep -qE 'GET /linux-64/python-[^ ]*\.conda -> 200' "$T/tls.log"
# --offline: packages only from the package cache
cp -a "$T/c-a5" "$T/c-a6"; rm -rf "$T/c-a6/pkgs/sha256"
expect_fail "--offline with a package not cached names it, with the way out" \
  "[a-z0-9_.-]+\.conda \(https://[^)]*\): not in the package cache; offline, nothing is fetched.*hint: run once without --offline" \
  "$BIN" build "$ENV" --channel "$TLS" --cache-dir "$T/c-a6" --ca-cert "$T/ca.pem" --offline --no-layer-cache --output "oci:$T/off.oci" -t demo:1
check "... and writes no image" test ! -e "$T/off.oci"
gets=$(grep -c 'GET ' "$T/tls.log")
check "--offline builds from the package cache" "$BIN" build "$ENV" --channel "$TLS" \
  --cache-dir "$T/c-a5" --ca-cert "$T/ca.pem" --offline --no-layer-cache --output "oci:$T/off2.oci" -t demo:1
check_eq "... without asking the server" "$gets" "$(grep -c 'GET ' "$T/tls.log")"

# --- (b) through a forward proxy ------------------------------------------------------------
serve plain "$T/channel" ''
PLAIN_PORT=$PORT
"$FX/connectproxy" --log "$T/proxy.log" --port-file "$T/proxy.port" --max-seconds 600 \
  --map "channel.test:443=127.0.0.1:${TLS##*:}" --map "channel.test:8080=127.0.0.1:$PLAIN_PORT" \
  >"$T/proxy.out" 2>&1 </dev/null &
PIDS+=($!)
wait_port "$T/proxy.port"
PX="http://127.0.0.1:$PORT"
check "HTTPS_PROXY carries an https channel only the proxy can reach" \
  env HTTPS_PROXY="$PX" "$BIN" lock "$ENV" -o "$T/p1.lock" --channel https://channel.test/ \
  --cache-dir "$T/c-b1" --ca-cert "$T/ca.pem"
check "the proxy saw the CONNECTs" grep -q '^CONNECT channel.test:443' "$T/proxy.log"
: >"$T/proxy.log"
check "lower-case https_proxy works too" env https_proxy="$PX" "$BIN" lock "$ENV" -o "$T/p2.lock" \
  --channel https://channel.test/ --cache-dir "$T/c-b2" --ca-cert "$T/ca.pem"
check "... through the proxy" grep -q '^CONNECT channel.test:443' "$T/proxy.log"
check "upper-case HTTP_PROXY carries an http channel" env HTTP_PROXY="$PX" "$BIN" lock "$ENV" \
  -o "$T/p3.lock" --channel http://channel.test:8080/ --cache-dir "$T/c-b3"
check "the proxy saw the absolute-URI GETs" grep -q '^GET http://channel.test:8080/noarch/repodata.json' "$T/proxy.log"
: >"$T/proxy.log"
expect_fail "NO_PROXY sends a host around the proxy (here: unknown name, named in the error)" \
  "cannot fetch https://channel.test/" env HTTPS_PROXY="$PX" NO_PROXY=channel.test "$BIN" lock "$ENV" \
  -o "$T/p4.lock" --channel https://channel.test/ --cache-dir "$T/c-b4" --ca-cert "$T/ca.pem"
check_eq "... and the proxy saw nothing" 0 "$(wc -l <"$T/proxy.log")"

# --- (c) a flaky channel, a broken one ------------------------------------------------------
serve flaky "$T/channel" '
GET /noarch/repodata\.json$ 500 1
GET /linux-64/repodata\.json$ 429 1'
FL="http://127.0.0.1:$PORT"
check "a 500 and a 429 are retried to success" lock --channel "$FL" --cache-dir "$T/c-c1"
check "noarch: 500, then 200" grep -qzE 'GET /noarch/repodata\.json -> 500.*GET /noarch/repodata\.json -> 200' "$T/flaky.log"
t429=$(awk '/GET \/linux-64\/repodata\.json -> 429/ {print $1; exit}' "$T/flaky.log")
t200=$(awk '/GET \/linux-64\/repodata\.json -> 200/ {print $1; exit}' "$T/flaky.log")
check "the retry after the 429 waited its Retry-After (2 s)" \
  awk -v a="${t429:-0}" -v b="${t200:-0}" 'BEGIN { exit !(b - a >= 1.9) }'
serve broken "$T/channel" 'GET /noarch/repodata\.json$ 500 *'
BR="http://127.0.0.1:$PORT"
start=$(date +%s)
expect_fail "a channel answering 500 forever: URL, status and attempts in the error" \
  "$BR/noarch/repodata.json: HTTP 500 \(gave up after 5 attempts\)" lock --channel "$BR" --cache-dir "$T/c-c2"
check_eq "exactly 5 attempts were made" 5 "$(grep -c 'GET /noarch/repodata.json -> 500' "$T/broken.log")"
check "and it gave up within bounded time" test $(( $(date +%s) - start )) -lt 40

# --- (d) a hostile channel (issue 10 #2) ------------------------------------------------------
cp -a "$T/channel" "$T/evil"
python3 - "$T/evil/linux-64/repodata.json" <<'EOF'
import json, sys
p = sys.argv[1]
rd = json.load(open(p))
for key in ("packages", "packages.conda"):
    for fn, r in rd.get(key, {}).items():
        if r["name"] == "prefixdemo":
            r["url"] = "file:///etc/passwd"
json.dump(rd, open(p, "w"))
EOF
rm -f "$T/evil/linux-64/repodata.json.zst" "$T/evil/linux-64/repodata.json.bz2"
serve evil "$T/evil" 'GET /linux-64/linkdemo endless *'
EV="http://127.0.0.1:$PORT"
out=$("$BIN" build "$ENV" --channel "$EV" --cache-dir "$T/c-d1" --output "oci:$T/evil.oci" -t x:1 2>&1)
check "a record url of file:///etc/passwd is refused, naming package and URL" \
  grep -qE 'package prefixdemo-[^ ]+: its repodata URL file:///etc/passwd leaves its channel http://127.0.0.1:[0-9]+' <<<"$out"
check "... and nothing of the file was read (no checksum of it printed)" lacks 'checksum mismatch' "$out"
check "no output layout was written" test ! -e "$T/evil.oci"
# same channel without the file:// record: linkdemo's body never ends
python3 - "$T/evil/linux-64/repodata.json" "$T/channel/linux-64/repodata.json" <<'EOF'
import json, sys
json.dump(json.load(open(sys.argv[2])), open(sys.argv[1], "w"))
EOF
start=$(date +%s)
out=$(timeout 120 "$BIN" build "$ENV" --channel "$EV" --cache-dir "$T/c-d2" --output "oci:$T/evil.oci" -t x:1 2>&1)
check "an endless package body stops at the record's size" \
  grep -qE 'package linkdemo-[^ ]+ from http://[^ ]+ is larger than its repodata size \([0-9]+ bytes\): refusing it' <<<"$out"
check "... quickly" test $(( $(date +%s) - start )) -lt 60
check_eq "... leaving no partial download behind" "" "$(ls -A "$T/c-d2/pkgs/tmp" 2>/dev/null)"

# --- a hostile registry (issue 10 #4, #11) ----------------------------------------------------
PASS='s3cret-http-test'
RP=$("$FX/registry" start "$T/reg" --tls --htpasswd "ci:$PASS") || { echo "FAIL: registry did not start"; exit 1; }
CRT="$T/reg/tls/crt.pem"
REGOPTS=(--ca-cert "$CRT" --creds "ci:$PASS")
check "a layout to push" "$BIN" build "$ENV" --channel "file://$T/channel" --cache-dir "$T/c-r" --output "oci:$T/img.oci" -t demo:1
check "the base image is in the registry" "$BIN" push "oci:$T/img.oci" "127.0.0.1:$RP/team/base:1" "${REGOPTS[@]}"
# fp NAME RULES [faultproxy options]: a TLS fault proxy in front of the registry; sets PORT
fp() {
  local name=$1; shift
  printf '%s\n' "$1" >"$T/$name.rules"; shift
  "$FX/faultproxy" --upstream "127.0.0.1:$RP" --upstream-tls --rules "$T/$name.rules" --log "$T/$name.log" \
    --port-file "$T/$name.port" --max-seconds 600 "$@" >"$T/$name.out" 2>&1 </dev/null &
  PIDS+=($!)
  wait_port "$T/$name.port"
}
TLSFP=(--tls-cert "$CRT" --tls-key "$T/reg/tls/key.pem")
# build_on CACHE PORT: a build on the base image pulled through the proxy at PORT
build_on() {
  "$BIN" build "$ENV" --channel "file://$T/channel" --cache-dir "$1" --base "127.0.0.1:$2/team/base:1" \
    --output "oci:$T/onbase.oci" -t x:1 "${REGOPTS[@]}"
}

fp other '' "${TLSFP[@]}" --log-auth
OTHER=$PORT
fp reloc "POST /blobs/uploads/ relocate=https://localhost:$OTHER *" "${TLSFP[@]}" --log-auth
expect_fail "an upload Location on another host: the push fails there" \
  "registry 127.0.0.1:$PORT: upload blob .*HTTP 401.*another host than the registry" \
  "$BIN" push "oci:$T/img.oci" "127.0.0.1:$PORT/team/moved:1" "${REGOPTS[@]}"
check "the other host was sent the upload" grep -qE '^(PATCH|PUT) /v2/team/moved/blobs/uploads/' "$T/other.log"
check "... without Authorization" bash -c "! grep -q 'auth=yes' '$T/other.log'"
check "the registry itself got the credentials" grep -q 'auth=yes' "$T/reloc.log"

fp plainhost '' --log-auth # plain HTTP in front of the TLS registry
PLAINHOST=$PORT
fp downgrade "POST /blobs/uploads/ relocate=http://localhost:$PLAINHOST *" "${TLSFP[@]}"
expect_fail "a plain-http Location from a TLS registry is refused" \
  "registry 127.0.0.1:$PORT: .*sent us on to http://localhost:$PLAINHOST/v2/team/down/blobs/uploads/[^ ]*, which is refused" \
  "$BIN" push "oci:$T/img.oci" "127.0.0.1:$PORT/team/down:1" "${REGOPTS[@]}"
check_eq "... and nothing was sent over plain http" 0 "$(wc -l <"$T/plainhost.log")"

: >"$T/other.log"
fp redirect "GET /blobs/sha256: redirect=https://localhost:$OTHER *" "${TLSFP[@]}"
expect_fail "a blob redirected to another host: followed, without credentials" \
  "registry 127.0.0.1:$PORT: GET blob sha256:[0-9a-f]{64} from team/base: HTTP 401.*another host than the registry" \
  build_on "$T/c-r1" "$PORT"
check "the other host was asked for the blob" grep -qE '^GET /v2/team/base/blobs/sha256:' "$T/other.log"
check "... without Authorization" bash -c "! grep -q 'auth=yes' '$T/other.log'"
: >"$T/plainhost.log"
fp redirect2 "GET /blobs/sha256: redirect=http://localhost:$PLAINHOST *" "${TLSFP[@]}"
expect_fail "a blob redirected to plain http from a TLS registry is refused" \
  "registry 127.0.0.1:$PORT: GET blob sha256:[0-9a-f]{64} from team/base: the registry sent us on to http://localhost:$PLAINHOST/v2/team/base/blobs/sha256:[0-9a-f]{64}, which is refused" \
  build_on "$T/c-r1b" "$PORT"
check_eq "... and nothing was sent over plain http" 0 "$(wc -l <"$T/plainhost.log")"

fp endless 'GET /blobs/sha256: endless *' "${TLSFP[@]}"
start=$(date +%s)
expect_fail "an endless blob stops at its descriptor's size" \
  "registry 127.0.0.1:$PORT: GET blob sha256:[0-9a-f]{64} from team/base: the registry sends more than the [0-9]+ bytes its descriptor says" \
  timeout 120 "$BIN" build "$ENV" --channel "file://$T/channel" --cache-dir "$T/c-r2" --base "127.0.0.1:$PORT/team/base:1" \
  --output "oci:$T/onbase.oci" -t x:1 "${REGOPTS[@]}"
check "... at once" test $(( $(date +%s) - start )) -lt 60
check_eq "... leaving no partial blob behind" "" "$(find "$T/c-r2" -name '*.part-*' 2>/dev/null)"

fp drip 'GET /blobs/sha256: drip *' "${TLSFP[@]}"
start=$(date +%s)
expect_fail "a dripping blob times out (IMGBUILD_HTTP_LOW_SPEED_TIME=2)" \
  "registry 127.0.0.1:$PORT: GET blob sha256:[0-9a-f]{64} from team/base: .*too slow" \
  env IMGBUILD_HTTP_LOW_SPEED_TIME=2 timeout 100 "$BIN" build "$ENV" --channel "file://$T/channel" \
  --cache-dir "$T/c-r3" --base "127.0.0.1:$PORT/team/base:1" --output "oci:$T/onbase.oci" -t x:1 "${REGOPTS[@]}"
check "... within bounded time (5 attempts of ~2 s plus backoff)" test $(( $(date +%s) - start )) -lt 45

e2e_finish

#!/usr/bin/env bash
# Parallel registry I/O (issue 14, part 3) against Debian's docker-registry: a push of several
# layers goes out on 4 threads (IMGBUILD_PUSH_THREADS) and is correct (skopeo inspect gives
# the layout's digest; skopeo copy + umoci unpack read every layer back); the registry's own
# log (RFC 3339 nanosecond times and durations) shows upload sessions that overlap, and no
# manifest PUT starting before the last blob request ended. Through tests/fixtures/faultproxy,
# a blob upload that fails forever fails the whole push with a message naming registry,
# operation and status, while the other blobs go up; no manifest is ever PUT.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_tools skopeo umoci docker-registry jq python3 unshare
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-pushpar.XXXXXX)
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
# small chunks: each larger layer is an upload session of many PATCHes, long enough to overlap
export IMGBUILD_UPLOAD_CHUNK_BYTES=131072
export IMGBUILD_PUSH_THREADS=4
sk() { unshare -m sh -c "mount -t tmpfs tmpfs /var/lib/containers/cache 2>/dev/null || true; exec skopeo \"\$@\"" sh "$@"; }
mkdir -p /var/lib/containers/cache

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
ENV="$SRC/examples/demo/environment.yml"
check "the image builds to a layout" "$BIN" build "$ENV" --channel "file://$T/channel" \
  --cache-dir "$T/cache" --output "oci:$T/img.oci" -t demo:1
want=$(jq -r '.manifests[0].digest' "$T/img.oci/index.json")
n_layers=$(jq '.layers|length' "$T/img.oci/blobs/sha256/${want#sha256:}")
check "the image has several layers ($n_layers)" test "$n_layers" -ge 2

P=$("$REG" start "$T/reg") || { echo "FAIL: registry did not start"; exit 1; }
R="127.0.0.1:$P"

# --- a parallel push is correct ----------------------------------------------------------------
from=$(wc -l <"$T/reg/registry.log")
check "imgbuild push sends the layout on 4 threads" "$BIN" push --cache-dir "$T/cache-a" \
  "oci:$T/img.oci" "$R/team/par:1"
tail -n +"$((from + 1))" "$T/reg/registry.log" >"$T/push.log"
check_eq "the registry serves the tag under the layout's digest" "$want" \
  "$(sk inspect --tls-verify=false "docker://$R/team/par:1" | jq -r .Digest)"
check "skopeo copies the image back (every blob intact)" \
  sk copy --src-tls-verify=false "docker://$R/team/par:1" "oci:$T/back.oci:1"
check "umoci unpacks every layer" umoci unpack --image "$T/back.oci:1" "$T/bundle"
check "the unpacked tree holds the environment's python" \
  bash -c "ls '$T/bundle/rootfs/opt/conda/envs/'*/bin/python* >/dev/null"

# Each request of the push from the registry's log: start (end - duration), end, method, uri.
cat >"$T/requests.py" <<'EOF'
import re, sys
from datetime import datetime
units = {'ns': 1e-9, 'µs': 1e-6, 'us': 1e-6, 'ms': 1e-3, 's': 1.0, 'm': 60.0}
for line in open(sys.argv[1]):
    if 'msg="response completed' not in line:
        continue
    t = re.search(r'time="([0-9T:.\-]+)Z"', line).group(1)
    whole, _, frac = t.partition('.')
    end = datetime.strptime(whole, '%Y-%m-%dT%H:%M:%S').timestamp() + float('0.' + (frac or '0'))
    dur = 0.0
    for v, u in re.findall(r'http\.response\.duration=([0-9.]+)(ns|µs|us|ms|s|m)', line)[:1]:
        dur = float(v) * units[u]
    method = re.search(r'http\.request\.method=(\S+)', line).group(1)
    uri = re.search(r'http\.request\.uri=(?:"([^"]+)"|(\S+))', line)
    uri = uri.group(1) or uri.group(2)  # logrus quotes a value only when it must
    print(f'{end - dur:.6f} {end:.6f} {method} {uri}')
EOF
python3 "$T/requests.py" "$T/push.log" >"$T/requests.txt"
# upload sessions (PATCH/PUT on /blobs/uploads/<uuid>): overlapping ones = concurrent uploads
overlaps=$(awk '$4 ~ /\/blobs\/uploads\/[0-9a-f-]+/ {
    split($4, a, "/blobs/uploads/"); split(a[2], b, "?"); id = b[1]
    if (!(id in s) || $1 < s[id]) s[id] = $1
    if (!(id in e) || $2 > e[id]) e[id] = $2 }
  END { n = 0; for (i in s) for (j in s) if (i < j && s[i] < e[j] && s[j] < e[i]) n++; print n }' "$T/requests.txt")
check "upload sessions overlapped (concurrent uploads): $overlaps pairs" test "$overlaps" -gt 0
last_blob=$(awk '$4 ~ /\/blobs\// && $3 != "GET" {print $2}' "$T/requests.txt" | sort -n | tail -1)
first_manifest=$(awk '$3 == "PUT" && $4 ~ /\/manifests\// {print $1}' "$T/requests.txt" | sort -n | head -1)
check "the manifest PUT started after the last blob request ended" \
  python3 -c "import sys; sys.exit(0 if float('$first_manifest') >= float('$last_blob') else 1)"

# --- a failing blob upload fails the whole push ------------------------------------------------
printf '%s\n' 'PATCH /blobs/uploads/ 500 *' >"$T/broken.rules"
"$SRC/tests/fixtures/faultproxy" --upstream "$R" --rules "$T/broken.rules" --log "$T/broken.log" \
  --port-file "$T/broken.port" --max-seconds 300 >"$T/broken.out" 2>&1 </dev/null &
PROXY_PIDS+=($!)
for i in $(seq 1 100); do [ -s "$T/broken.port" ] && break; sleep 0.05; done
H="127.0.0.1:$(cat "$T/broken.port")"
start=$(date +%s)
expect_fail "a blob upload failing forever fails the push, naming registry, operation and status" \
  "registry $H: upload blob sha256:[0-9a-f]{64} \([0-9]+ bytes\) to team/broken: HTTP 500" \
  "$BIN" push --cache-dir "$T/cache-b" "oci:$T/img.oci" "$H/team/broken:1"
check "the failing push gave up within bounded time" test $(( $(date +%s) - start )) -lt 90
check "the other blobs went up meanwhile (monolithic PUTs)" grep -q '^PUT /v2/team/broken/blobs/uploads/.* -> 201' "$T/broken.log"
check "no manifest was ever PUT for it" bash -c "! grep -q '/v2/team/broken/manifests' '$T/broken.log'"
expect_fail "no tag exists after the failed push" "manifest unknown|not found|MANIFEST_UNKNOWN" \
  sk inspect --tls-verify=false "docker://$R/team/broken:1"

e2e_finish

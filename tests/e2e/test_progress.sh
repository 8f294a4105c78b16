#!/usr/bin/env bash
# --progress (issue 11, part 5) against the real registry behind tests/fixtures/faultproxy
# throttling uploads to 1 MB/s: in a real terminal (tmux, capture-pane) the upload's line is
# redrawn in place with growing byte counts; plain output (piped) has a line at least every
# 5 s during the long upload; json events each parse with jq and cover start, bytes and end.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_tools docker-registry jq tmux python3
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-progress.XXXXXX)
REG="$SRC/tests/fixtures/registry"
SESSION="imgbuild-progress-$$"
cleanup() {
  tmux kill-session -t "$SESSION" 2>/dev/null
  [ -n "${FP:-}" ] && kill "$FP" 2>/dev/null
  for d in "$T"/reg-*; do [ -d "$d" ] && "$REG" stop "$d"; done
  rm -rf "$T"
}
trap cleanup EXIT
export SOURCE_DATE_EPOCH=0
"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
"$BIN" build "$SRC/examples/demo/environment.yml" --channel "file://$T/channel" --cache-dir "$T/cache" \
  --output "oci:$T/img.oci" -t img:1 >/dev/null 2>"$T/build.err" || { cat "$T/build.err"; exit 1; }
P=$("$REG" start "$T/reg-a") || { echo "FAIL: registry did not start"; exit 1; }
printf 'PUT /blobs/ throttle=1000000 *\nPATCH /blobs/ throttle=1000000 *\n' >"$T/rules"
python3 "$SRC/tests/fixtures/faultproxy" --upstream "127.0.0.1:$P" --rules "$T/rules" --log "$T/proxy.log" \
  --port-file "$T/proxy.port" --max-seconds 300 &
FP=$!
for _ in $(seq 50); do [ -s "$T/proxy.port" ] && break; sleep 0.1; done
H="127.0.0.1:$(cat "$T/proxy.port")"
# push REPO MODE: a fresh cache dir each time, so no blob is mounted from an earlier push
push() { "$BIN" push "oci:$T/img.oci:1" "$H/$1:1" --cache-dir "$T/pc-$1" --progress "$2"; }

# --- tty, in a real terminal ---------------------------------------------------------------------
tmux new-session -d -s "$SESSION" -x 160 -y 40 \
  "'$BIN' push 'oci:$T/img.oci:1' '$H/tty:1' --cache-dir '$T/pc-tty' --progress auto; echo EXIT=\$?; sleep 60"
caps=()
for i in $(seq 8); do sleep 1; caps+=("$(tmux capture-pane -p -t "$SESSION")"); done
live=$(printf '%s\n' "${caps[@]}" | grep -E '^  upload sha256:[0-9a-f]{12} +[0-9.]+ [kMG]?B / [0-9.]+ [kMG]?B +[0-9]+%' | sort -u)
check "tty: a live upload line with bytes, total and percent" test -n "$live"
check "tty: the byte count changes between captures" test "$(printf '%s\n' "$live" | wc -l)" -ge 2
# the blobs that can be in flight at once: the image's layers and its config (push_par's bound
# of 4 concurrent uploads is not lower for this image); a line printed per update would exceed it
m=$(jq -r '.manifests[0].digest' "$T/img.oci/index.json")
inflight=$(( $(jq '.layers | length' "$T/img.oci/blobs/sha256/${m#sha256:}") + 1 ))
inplace=1
for c in "${caps[@]}"; do
  n=$(printf '%s\n' "$c" | grep -cE '^  upload sha256:' || true)
  [ "$n" -le "$inflight" ] || inplace=0
done
check "tty: redrawn in place (never more live lines than the $inflight blobs in flight)" test "$inplace" = 1
for _ in $(seq 60); do tmux capture-pane -p -t "$SESSION" | grep -q '^EXIT=' && break; sleep 1; done
final=$(tmux capture-pane -p -t "$SESSION")
check "tty: the push finished" grep -q '^EXIT=0' <<<"$final"
check "tty: each blob ends with how (uploaded)" grep -qE '^imgbuild: upload sha256:[0-9a-f]{12}: .* uploaded' <<<"$final"
check "tty: no live line left behind" test "$(grep -cE '^  upload sha256:' <<<"$final")" -eq 0

# --- plain, piped: a line at least every 5 s -------------------------------------------------------
push plain auto 2>&1 >/dev/null | while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done >"$T/plain.log"
check "plain (auto, piped): start and end lines" sh -c "grep -q 'started' '$T/plain.log' && grep -q 'uploaded' '$T/plain.log'"
gap=$(awk '/upload sha256/ { if (p) { d = $1 - p; if (d > m) m = d }; p = $1 } END { printf "%.1f", m }' "$T/plain.log")
long=$(awk '/upload sha256/ {print $1}' "$T/plain.log" | sed -n '1p;$p' | paste -sd' ' | awk '{printf "%.0f", $2 - $1}')
check "plain: the upload is a long step (> 5 s)" test "$long" -gt 5
check "plain: a line at least every 5 s (largest gap ${gap} s)" awk -v g="$gap" 'BEGIN { exit !(g <= 5.6) }'
check "plain: a running line says bytes and rate" grep -qE 'upload sha256:[0-9a-f]{12} +[0-9.]+ [kMG]?B / .*B/s$' "$T/plain.log"
check "plain: no terminal escapes when piped" sh -c "! grep -q $'\033' '$T/plain.log'"

# --- json ---------------------------------------------------------------------------------------------
push json json 2>"$T/json.log" >/dev/null
check "json: every line is a JSON object" sh -c "jq -e -s 'length > 0 and all(type == \"object\")' '$T/json.log' >/dev/null"
check "json: start, bytes and end events for uploads" sh -c "jq -e -s '[.[] | select(.step == \"upload\") | .event] | (index(\"start\") != null and index(\"bytes\") != null and index(\"end\") != null)' '$T/json.log' >/dev/null"
check "json: bytes grow to the total" sh -c "jq -e -s '[.[] | select(.event == \"end\" and .step == \"upload\" and .status == \"uploaded\")] | length > 0 and all(.done == .total)' '$T/json.log' >/dev/null"
check "json: log lines are events too" sh -c "jq -e -s 'any(.event == \"log\")' '$T/json.log' >/dev/null"

e2e_finish

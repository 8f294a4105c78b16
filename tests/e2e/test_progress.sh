#!/usr/bin/env bash
# --progress (issue 11, part 5) against the real registry behind tests/fixtures/faultproxy
# throttling uploads to 1 MB/s: in a real terminal (tmux, capture-pane) the upload's line is
# redrawn in place with growing byte counts; plain output (piped) has a line at least every
# 5 s during the long upload; json events each parse with jq and cover start, bytes and end.
# Then a build of a synthetic environment (bench/gen_env from a 41-package lock of
# ../shared/corpus, ~40 MB installed) with zstd -19 on one thread, so that compressing its
# biggest layer is a long step: installs (packages done / total) and each layer's compression
# (bytes in -> out) are live lines in tmux, plain lines at least every 5 s, and json events.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_tools docker-registry jq tmux python3
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
LOCK=${IMGBUILD_SHARED:-$SRC/../shared}/corpus/locks/condalock-tests-v3.0.3.conda-lock.yml
[ -f "$LOCK" ] || e2e_skip "$LOCK not found (the corpus lives in ../shared/corpus)"
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

# --- build: installs and compression ---------------------------------------------------------------
# gen_env reuses its output when its stamp matches: kept in the build tree across runs.
SYN="${IMGBUILD_BUILD:-$T}/synth-progress"
python3 "$SRC/bench/gen_env" "$SYN" --total-gb 0.04 --lock "$LOCK" >"$T/gen_env.log" 2>&1 ||
  { cat "$T/gen_env.log"; echo "FAIL: bench/gen_env"; exit 1; }
# build NAME MODE [FLAGS...]: a fresh cache each time (every package installed, every layer
# compressed); by default zstd -19 on one thread, slow on purpose
build() {
  local name=$1 mode=$2; shift 2
  [ $# -gt 0 ] || set -- --compression zstd --compression-level 19 -j 1
  "$BIN" build "$SYN/environment.yml" --channel "file://$SYN/channel" --cache-dir "$T/bc-$name" \
    --output "oci:$T/b-$name.oci" -t s:1 --base scratch --progress "$mode" "$@"
}
q() { printf '%q ' "$@"; }
tmux kill-session -t "$SESSION" 2>/dev/null
tmux new-session -d -s "$SESSION" -x 200 -y 50 \
  "export SOURCE_DATE_EPOCH=0; $(q "$BIN") build $(q "$SYN/environment.yml") --channel $(q "file://$SYN/channel") \
   --cache-dir $(q "$T/bc-tty") --output $(q "oci:$T/b-tty.oci") -t s:1 --base scratch --progress tty \
   --compression zstd --compression-level 19 -j 1; echo EXIT=\$?; sleep 600"
caps=()
for i in $(seq 600); do
  sleep 0.2
  c=$(tmux capture-pane -p -t "$SESSION")
  caps+=("$c")
  # enough seen once two different byte counts of the big layer's compression were on screen
  # and the installs ended (a layer is compressed while the next group installs: issue 14)
  [ "$(printf '%s\n' "${caps[@]}" | grep -E '^  compress base-python +[1-9]' | sort -u | wc -l)" -ge 2 ] &&
    grep -q '^imgbuild: install linux-64: 41 / 41 packages done' <<<"$c" && break
  grep -q '^EXIT=' <<<"$c" && break
done
all=$(printf '%s\n' "${caps[@]}")
check "tty build: a live install line counts packages" grep -qE '^  install linux-64 +[1-9][0-9]* / 41 packages$' <<<"$all"
check "tty build: the install line ends as a done line" grep -qE '^imgbuild: install linux-64: 41 / 41 packages done' <<<"$all"
check "tty build: a live compress line shows bytes in -> out and a rate" \
  grep -qE '^  compress base-python +[1-9][0-9.]* [KMG]?B -> [0-9.]+ [KMG]?B +[0-9.]+ [KMG]?B/s$' <<<"$all"
check "tty build: the compress line's bytes change in place" \
  test "$(grep -E '^  compress base-python ' <<<"$all" | sort -u | wc -l)" -ge 2
# In place: never two live lines for one step and item. With -j 1 at most two are live at
# once, the installs' and the layer's being compressed meanwhile (issue 14's job graph).
inplace=1 overlap=0
for c in "${caps[@]}"; do
  [ "$(grep -E '^  (install|compress) ' <<<"$c" | awk '{print $1, $2}' | sort | uniq -d | wc -l)" = 0 ] || inplace=0
  [ "$(grep -cE '^  (install|compress) ' <<<"$c" || true)" -le 2 ] || inplace=0
  [ "$(grep -cE '^  (install|compress) ' <<<"$c" || true)" = 2 ] && overlap=1
done
check "tty build: redrawn in place (one line per step and item, at most two live with -j 1)" test "$inplace" = 1
check "tty build: a layer is compressed while the installs go on (two live lines at once)" test "$overlap" = 1
tmux kill-session -t "$SESSION" 2>/dev/null

export SOURCE_DATE_EPOCH=0
build plain plain 2>&1 >/dev/null | while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done >"$T/bplain.log"
check "plain build: install start and end lines" sh -c "grep -q 'install linux-64  0 / 41 packages: started' '$T/bplain.log' &&
  grep -q 'install linux-64: 41 / 41 packages done' '$T/bplain.log'"
check "plain build: each layer's compression ends with bytes in -> out" \
  sh -c "grep -qE 'compress base-python: [0-9.]+ [KMG]?B -> [0-9.]+ [KMG]?B done' '$T/bplain.log' &&
  grep -qE 'compress rootfs: [0-9.]+ [KMG]?B -> [0-9.]+ [KMG]?B done' '$T/bplain.log'"
cgap=$(awk '/compress base-python/ { if (p) { d = $1 - p; if (d > m) m = d }; p = $1 } END { printf "%.1f", m }' "$T/bplain.log")
clong=$(awk '/compress base-python/ {print $1}' "$T/bplain.log" | sed -n '1p;$p' | paste -sd' ' | awk '{printf "%.0f", $2 - $1}')
check "plain build: compressing the big layer is a long step (${clong} s > 5 s)" test "$clong" -gt 5
check "plain build: a line at least every 5 s while compressing (largest gap ${cgap} s)" awk -v g="$cgap" 'BEGIN { exit !(g <= 5.6) }'
check "plain build: the image was written" test -f "$T/b-plain.oci/index.json"

build json json --compression gzip -j 2 2>"$T/bjson.log" >/dev/null
check "json build: every line is a JSON object" sh -c "jq -e -s 'length > 0 and all(type == \"object\")' '$T/bjson.log' >/dev/null"
check "json build: install events count to the total" sh -c "jq -e -s '[.[] | select(.step == \"install\")] as \$e |
  (\$e | map(.event) | index(\"start\") != null and index(\"end\") != null) and
  (\$e | map(select(.event == \"end\")) | length == 1 and all(.done == 41 and .total == 41 and .status == \"done\"))' '$T/bjson.log' >/dev/null"
check "json build: compress events per layer with bytes in and out" sh -c "jq -e -s '[.[] | select(.step == \"compress\" and .event == \"end\")] |
  (map(.item) | index(\"base-python\") != null and index(\"rootfs\") != null) and
  all(.status == \"done\" and .done == .total and .out > 0 and .out < .done)' '$T/bjson.log' >/dev/null"
out=$(jq -s '[.[] | select(.step == "compress" and .event == "end" and .item == "base-python") | .out][0]' "$T/bjson.log")
check "json build: the compressed bytes are the layer blob's size (${out})" \
  test -n "$(find "$T/b-json.oci/blobs/sha256" -type f -size "${out}c" 2>/dev/null)"

e2e_finish

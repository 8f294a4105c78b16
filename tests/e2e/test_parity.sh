#!/usr/bin/env bash
# End to end, offline: plan, lock and build take the same inputs through one build context
# (builder/context.c), so they cannot drift. plan's layer keys are the keys the build stores
# (with and without --base, --platform, --channel-priority, --offline); a build from a lock
# reuses a solved build's layers and the other way round, also without an environment file
# (the lock names the environment); `lock --platform` writes one multi-platform conda-lock file
# and `build --lock` of it builds the image index; the cache directory is refused when another
# user could write into it (also with HOME unset, where it defaults into /tmp).
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_tools jq python3 umoci unshare
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-e2e-parity.XXXXXX)
trap 'rm -rf "$T"' EXIT
export SOURCE_DATE_EPOCH=0

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
"$SRC/tests/fixtures/mkchannel" --parity "$T/extra" >"$T/mkextra.log" 2>&1 ||
  { cat "$T/mkextra.log"; echo "FAIL: parity channel could not be built"; exit 1; }
"$SRC/tests/fixtures/mkbase" "$T/base.oci" bookworm >"$T/mkbase.log" 2>&1 ||
  { cat "$T/mkbase.log"; echo "FAIL: fixture base image could not be built"; exit 1; }
CH="file://$T/channel"
XCH="file://$T/extra"
ENV="$SRC/examples/demo/environment.yml"
BASE="oci:$T/base.oci:bookworm"

# keys stored by the builds in cache $1 (16 hex digits, as plan prints them), sorted
stored_keys() { ls "$1/layers/keys" 2>/dev/null | cut -c1-16 | sort | paste -sd' '; }
# plan's keys and statuses from its output
# (sort -u: a noarch layer is the same, so has the same key, on every platform)
plan_keys() { grep -oE '[0-9a-f]{16}$' "$1" | sort -u | paste -sd' '; }
plan_statuses() { grep -E '[0-9a-f]{16}$' "$1" | grep -oE '(cached locally|in registry|to build)' | sort -u | paste -sd'|'; }
# one build's keys: a fresh cache per build, so everything in it is that build's
build_keys() { # build_keys CACHE ARGS...: builds into oci:CACHE.oci, prints the stored keys
  local c=$1; shift
  "$BIN" build "$@" --cache-dir "$c" --output "oci:$c.oci" -t p:1 >"$c.out" 2>"$c.log" || { cat "$c.log" >&2; return 1; }
  stored_keys "$c"
}
# parity NAME ARGS...: plan with ARGS shows exactly the keys a build with ARGS stored, all cached
parity() {
  local name=$1 c="$T/c-$2"; shift 2
  local want
  want=$(build_keys "$c" "$@") || { e2e_bad "$name: build"; return; }
  if "$BIN" plan "$@" --cache-dir "$c" >"$c.plan" 2>"$c.planlog"; then
    check_eq "$name: plan shows the build's layer keys" "$want" "$(plan_keys "$c.plan")"
    check_eq "$name: every layer cached locally" "cached locally" "$(plan_statuses "$c.plan")"
  else
    e2e_bad "$name: plan accepts the build's options" "$(tail -3 "$c.planlog")"
  fi
}

# --- plan == build -------------------------------------------------------------------------
printf 'name: gl\nchannels: [%s, %s]\ndependencies:\n  - glibcdemo\n  - demo-data\n' "$CH" "$XCH" >"$T/gl.yml"
printf 'name: tiny\nchannels: [%s]\ndependencies:\n  - demo-data\n' "$CH" >"$T/tiny.yml"
parity "demo" demo "$ENV" --channel "$CH"
parity "--base (its glibc 2.36 picks glibcdemo 2.0)" base "$T/gl.yml" --base "$BASE"
check "--base: the build got glibcdemo 2.0" grep -q "__glibc=2.36 (base image)" "$T/c-base.log"
check "--base: glibcdemo 2.0 is in a layer" grep -rq '"glibcdemo-2.0-0"' "$T/c-base/layers/keys"
"$BIN" plan "$T/gl.yml" --cache-dir "$T/c-base" >"$T/nobase.plan" 2>&1
check "without --base plan solves for glibc 2.28: glibcdemo 1.0, a layer to build" \
  grep -q "to build" "$T/nobase.plan"
parity "--platform linux/amd64,linux/arm64" plat "$T/tiny.yml" --platform linux/amd64,linux/arm64
check_eq "--platform: plan shows both platforms" "platform: linux/amd64|platform: linux/arm64" \
  "$(grep '^platform:' "$T/c-plat.plan" | paste -sd'|')"
parity "--channel-priority disabled (demo-data 3.0 from the second channel)" prio "$T/gl.yml" --channel-priority disabled
check "--channel-priority disabled: the newest demo-data (3.0) is in a layer" grep -rq '"demo-data-3.0-0"' "$T/c-prio/layers/keys"
"$BIN" plan "$T/gl.yml" --cache-dir "$T/c-prio" >"$T/strict.plan" 2>&1
check "strict priority plans another layer (demo-data 2.0)" grep -q "to build" "$T/strict.plan"
check "plan --offline from the cache the build filled" "$BIN" plan "$ENV" --channel "$CH" --cache-dir "$T/c-demo" --offline
expect_fail "plan does not take -t (it would ignore it)" "-t is not a plan option \(--tag is for build\)" \
  "$BIN" plan "$ENV" -t x:1 --channel "$CH" --cache-dir "$T/c-demo"
expect_fail "a typo'd flag names the nearest one" "unknown option --chanel; did you mean --channel\?" \
  "$BIN" build "$ENV" --chanel "$CH"
check_eq "help CMD is CMD --help" "$("$BIN" build --help)" "$("$BIN" help build)"

# --- build --lock and build share layers ---------------------------------------------------
check "lock the demo" "$BIN" lock "$ENV" --channel "$CH" --cache-dir "$T/c-demo" -o "$T/demo.yml"
check "the lock records the environment's name" grep -q "imgbuild.name: demo" "$T/demo.yml"
# solved build (c-demo above), then a build from the lock alone in the same cache
"$BIN" build --lock "$T/demo.yml" --cache-dir "$T/c-demo" --output "oci:$T/fromlock.oci" -t p:1 >"$T/fl.out" 2>"$T/fl.log"
check_eq "build --lock without an environment file succeeds" 0 $?
check "build --lock reuses every layer of the solved build" grep -q "layer cache: 2 of 2 layers reused" "$T/fl.log"
check "... in the lock's environment prefix" grep -q "packages in /opt/conda/envs/demo" "$T/fl.out"
layers() { jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2 | xargs -I{} jq -r '.layers[].digest' "$1/blobs/sha256/{}" | paste -sd' '; }
check_eq "the lock build's layers are the solved build's" "$(layers "$T/c-demo.oci")" "$(layers "$T/fromlock.oci")"
check "plan --lock shows the same keys, cached" sh -c "'$BIN' plan --lock '$T/demo.yml' --cache-dir '$T/c-demo' >'$T/lock.plan' 2>&1"
check_eq "plan --lock keys = the solved build's keys" "$(stored_keys "$T/c-demo")" "$(plan_keys "$T/lock.plan")"
# the other way round: a fresh cache filled from the lock, then a solved build
"$BIN" build "$ENV" --lock "$T/demo.yml" --cache-dir "$T/c-lockfirst" --output "oci:$T/lf.oci" -t p:1 >/dev/null 2>"$T/lf.log"
"$BIN" build "$ENV" --channel "$CH" --cache-dir "$T/c-lockfirst" --output "oci:$T/sf.oci" -t p:1 >/dev/null 2>"$T/sf.log"
check "a solved build reuses every layer a lock build stored" grep -q "layer cache: 2 of 2 layers reused" "$T/sf.log"
check "lock --format explicit" "$BIN" lock "$ENV" --channel "$CH" --cache-dir "$T/c-demo" --format explicit -o "$T/demo.lock"
# a cache holding only a solved build's layers: an @EXPLICIT lock (no name: --name) reuses them
build_keys "$T/c-expl" "$ENV" --channel "$CH" >/dev/null
"$BIN" build --lock "$T/demo.lock" --name demo --cache-dir "$T/c-expl" --output "oci:$T/fe.oci" -t p:1 >/dev/null 2>"$T/fe.log"
check "an @EXPLICIT lock (and --name) reuses them too" grep -q "layer cache: 2 of 2 layers reused" "$T/fe.log"
expect_fail "build without environment file or lock says what it needs" "needs an environment file \(or --lock FILE\)" \
  "$BIN" build --cache-dir "$T/c-demo" --output "oci:$T/none.oci"

# --- multi-platform lock round trip ----------------------------------------------------------
check "lock --platform linux/amd64,linux/arm64" "$BIN" lock "$T/tiny.yml" --cache-dir "$T/c-plat" \
  --platform linux/amd64,linux/arm64 -o "$T/multi.yml"
check "the lock lists both platforms, each with its content hash and packages" python3 - "$T/multi.yml" <<'EOF'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
m = d["metadata"]
assert m["platforms"] == ["linux-64", "linux-aarch64"], m["platforms"]
assert set(m["content_hash"]) == {"linux-64", "linux-aarch64"} and m["content_hash"]["linux-64"] != m["content_hash"]["linux-aarch64"]
plats = sorted({p["platform"] for p in d["package"]})
assert plats == ["linux-64", "linux-aarch64"], plats
assert all(p["name"] == "demo-data" for p in d["package"])
EOF
check "build --lock of it for both platforms" "$BIN" build --lock "$T/multi.yml" --platform linux/amd64,linux/arm64 \
  --cache-dir "$T/c-plat" --output "oci:$T/multilock.oci" -t m:1
idx="$T/multilock.oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/multilock.oci/index.json" | cut -d: -f2)"
check_eq "... writes an image index with both platforms" "amd64 arm64" "$(jq -r '[.manifests[].platform.architecture] | join(" ")' "$idx" 2>/dev/null)"
check_eq "... whose images are the solved build's" "$(jq -r '[.manifests[].digest]|join(" ")' "$T/c-plat.oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/c-plat.oci/index.json" | cut -d: -f2)" | sed 's/ /\n/g' | sort | paste -sd' ')" \
  "$(jq -r '[.manifests[].digest]|join(" ")' "$idx" | sed 's/ /\n/g' | sort | paste -sd' ')"
check "build --lock of it without --platform" "$BIN" build --lock "$T/multi.yml" \
  --cache-dir "$T/c-plat" --output "oci:$T/multidef.oci" -t m:1
check_eq "... builds every platform of the lock (the same index)" "$(jq -r '.manifests[0].digest' "$T/multilock.oci/index.json")" \
  "$(jq -r '.manifests[0].digest' "$T/multidef.oci/index.json" 2>/dev/null)"
check "a one-platform lock without --platform builds that platform" "$BIN" build --lock "$T/demo.yml" \
  --cache-dir "$T/c-demo" --output "oci:$T/onedef.oci" -t m:1
expect_fail "a platform the lock lacks is named" "no conda packages for platform linux-aarch64" \
  "$BIN" build --lock "$T/demo.yml" --platform linux/arm64 --cache-dir "$T/c-demo" --output "oci:$T/x.oci"
expect_fail "@EXPLICIT holds one platform" "@EXPLICIT lock holds one platform" \
  "$BIN" lock "$T/tiny.yml" --cache-dir "$T/c-plat" --platform linux/amd64,linux/arm64 -o "$T/multi.lock"

# --- the cache directory must be the user's own --------------------------------------------
mkdir -p "$T/open" "$T/theirs/cache" "$T/grp" "$T/sticky"
chmod 0777 "$T/open"
expect_fail "a world-writable cache directory is refused, naming the fix" \
  "cache directory $T/open: $T/open is writable by every user \(mode 0777\).*chmod o-w $T/open, or use --cache-dir" \
  "$BIN" plan "$ENV" --channel "$CH" --cache-dir "$T/open"
chown -R 65534 "$T/theirs"
expect_fail "a cache under another user's directory is refused" \
  "cache directory $T/theirs/cache/x: $T/theirs/cache belongs to uid 65534.*--cache-dir" \
  "$BIN" plan "$ENV" --channel "$CH" --cache-dir "$T/theirs/cache/x"
chgrp users "$T/grp" && chmod 0775 "$T/grp"
expect_fail "a group-writable cache directory is refused" "$T/grp is writable by group [0-9]+ \(mode 0775\).*chmod g-w" \
  "$BIN" plan "$ENV" --channel "$CH" --cache-dir "$T/grp"
chmod 1777 "$T/sticky"
check "a cache of one's own in a sticky world-writable directory (as /tmp) is used" \
  "$BIN" plan "$ENV" --channel "$CH" --cache-dir "$T/sticky/mine"
# HOME unset: the default is /tmp/.cache/imgbuild; a private /tmp (mount namespace) is used
# so the machine's own /tmp/.cache is never touched.
home_unset() { # home_unset SETUP: runs SETUP, then imgbuild with HOME unset, in a private /tmp
  unshare -m bash -c "mount -t tmpfs tmpfs /tmp && $1 && env -u HOME -u XDG_CACHE_HOME '$BIN' lock '$ENV' \
    --channel http://127.0.0.1:9/nochan --offline -o /tmp/x.yml; stat -c '%U %a' /tmp/.cache/imgbuild 2>/dev/null || true"
}
out=$(home_unset "mkdir /tmp/.cache && chown 65534 /tmp/.cache" 2>&1)
case "$out" in
  *"HOME is not set, so the cache defaults to /tmp/.cache/imgbuild: cache directory /tmp/.cache/imgbuild: /tmp/.cache belongs to uid 65534"*)
    e2e_ok "HOME unset: another user's /tmp/.cache is refused";;
  *) e2e_bad "HOME unset: another user's /tmp/.cache is refused" "$out";;
esac
out=$(home_unset "true" 2>&1)
case "$out" in
  *"--offline: no cached repodata"*"root 755"*) e2e_ok "HOME unset: a fresh /tmp/.cache/imgbuild of one's own is used";;
  *) e2e_bad "HOME unset: a fresh /tmp/.cache/imgbuild of one's own is used" "$out";;
esac

e2e_finish

#!/usr/bin/env bash
# End to end, offline: `imgbuild lock` on the demo environment (fixture channel from Debian's
# packages) writes conda-lock v1 YAML and @EXPLICIT; `imgbuild build --lock` builds exactly
# that set without solving and gives the same image digest as a normal build; --offline uses
# only the cache; an unsatisfiable request explains itself; bad locks fail with no output.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_tools jq python3
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-e2e-lock.XXXXXX)
trap 'rm -rf "$T"' EXIT
export SOURCE_DATE_EPOCH=0

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
ENV="$SRC/examples/demo/environment.yml"
CH="file://$T/channel"
C="$T/cache"

check "lock writes conda-lock YAML" "$BIN" lock "$ENV" --channel "$CH" --cache-dir "$C" -o "$T/demo.conda-lock.yml"
check "lock writes @EXPLICIT" "$BIN" lock "$ENV" --channel "$CH" --cache-dir "$C" --format explicit -o "$T/demo.lock"
check "YAML lock is version 1 with conda packages, url and hashes" python3 - "$T/demo.conda-lock.yml" <<'EOF'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
assert d["version"] == 1, d["version"]
m = d["metadata"]
assert m["platforms"] == ["linux-64"] and m["content_hash"]["linux-64"] and m["sources"]
pk = d["package"]
assert len(pk) >= 5
for p in pk:
    assert p["manager"] == "conda" and p["category"] == "main" and p["optional"] is False
    assert isinstance(p["version"], str) and isinstance(p["dependencies"], dict)
    assert p["url"].startswith("file://") and len(p["hash"]["sha256"]) == 64 and len(p["hash"]["md5"]) == 32
assert "python" in {p["name"] for p in pk}
EOF
n_yaml=$(grep -c '^- name:' "$T/demo.conda-lock.yml")
n_expl=$(grep -c '^file://.*#[0-9a-f]\{64\}$' "$T/demo.lock")
check_eq "both formats list the same number of packages, with sha256" "$n_yaml" "$n_expl"
check "locking twice gives identical bytes" bash -c "'$BIN' lock '$ENV' --channel '$CH' --cache-dir '$C' -o '$T/again.yml' >/dev/null 2>&1 && cmp '$T/again.yml' '$T/demo.conda-lock.yml'"

# --- build --lock == build ---------------------------------------------------------------
check "normal build" "$BIN" build "$ENV" --channel "$CH" --cache-dir "$C" --output "oci:$T/solve.oci" -t demo:1.0
d_solve=$(jq -r '.manifests[0].digest' "$T/solve.oci/index.json")
check "the normal build wrote a manifest" test -n "$d_solve"
# An empty channel list proves no solve happens: the lock alone says what to install.
out=$("$BIN" build "$ENV" --lock "$T/demo.conda-lock.yml" --cache-dir "$T/cache-lock" --output "oci:$T/lock.oci" -t demo:1.0 2>&1)
case "$out" in *"(no solve)"*) e2e_ok "build --lock skips the solve";; *) e2e_bad "build --lock skips the solve" "$out";; esac
check_eq "build --lock (YAML) gives the same image digest" "$d_solve" "$(jq -r '.manifests[0].digest' "$T/lock.oci/index.json" 2>/dev/null)"
check "build --lock (@EXPLICIT)" "$BIN" build "$ENV" --lock "$T/demo.lock" --cache-dir "$T/cache-lock2" --output "oci:$T/lock2.oci" -t demo:1.0
check_eq "build --lock (@EXPLICIT) gives the same image digest" "$d_solve" "$(jq -r '.manifests[0].digest' "$T/lock2.oci/index.json" 2>/dev/null)"

# --- a lock whose hash does not match the package: refused, nothing written ---------------
sed -E '0,/sha256: [0-9a-f]{64}/s//sha256: 0000000000000000000000000000000000000000000000000000000000000000/' \
  "$T/demo.conda-lock.yml" >"$T/bad.yml"
expect_fail "a wrong hash in the lock is refused" "sha256|SHA-256|checksum" \
  "$BIN" build "$ENV" --lock "$T/bad.yml" --cache-dir "$T/cache-bad" --output "oci:$T/bad.oci" -t demo:1.0
check "no output left by the failed --lock build" test ! -e "$T/bad.oci"
printf 'version: 6\npackages: []\n' >"$T/pixi.lock"
expect_fail "a pixi lock is refused with the reason" "version 6 is not supported" \
  "$BIN" build "$ENV" --lock "$T/pixi.lock" --cache-dir "$C" --output "oci:$T/px.oci" -t demo:1.0

# --- --offline ------------------------------------------------------------------------------
check "lock --offline works from the filled cache" "$BIN" lock "$ENV" --channel "$CH" --cache-dir "$C" --offline -o "$T/off.yml"
expect_fail "--offline with an empty cache names what is missing" \
  "--offline: no cached repodata for http://127.0.0.1:9/nochan/linux-64/repodata.json.*run once without --offline" \
  "$BIN" lock "$ENV" --channel http://127.0.0.1:9/nochan --cache-dir "$T/empty" --offline -o "$T/x.yml"
check "no lock written on failure" test ! -e "$T/x.yml"

# --- an unsatisfiable request explains itself in conda's words ------------------------------
cat >"$T/unsat.yml" <<'EOF'
name: unsat
channels: []
dependencies:
  - python=3.12
EOF
expect_fail "unsatisfiable request says what was requested and what exists" \
  "cannot solve the environment: nothing provides .python=3.12.*versions available: 3.11.2" \
  "$BIN" lock "$T/unsat.yml" --channel "$CH" --cache-dir "$C" -o "$T/u.yml"

e2e_finish

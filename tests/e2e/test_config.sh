#!/usr/bin/env bash
# End to end, offline: the project config file (docs/cli.md, "Project config"). An
# imgbuild.yaml beside the environment file sets the channel, labels, env, user, entrypoint
# and workdir, and the built image's config (skopeo inspect --config) shows them; a flag
# overrides one value (--user), a --label is merged with the file's labels (its key wins);
# --config none ignores the file; a bad file fails before anything is built, naming
# FILE:LINE:COLUMN, and writes nothing; plan reads the same file (skipping build's keys).
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_tools jq skopeo python3
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-e2e-config.XXXXXX)
trap 'rm -rf "$T"' EXIT
export SOURCE_DATE_EPOCH=0

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
P="$T/proj"
mkdir -p "$P"
cp "$SRC/examples/demo/environment.yml" "$P/environment.yml"
cat >"$P/imgbuild.yaml" <<YAML
# the project's build settings (flags override them)
channels: [file://$T/channel]
labels:
  org.example.team: data
  org.example.tier: "2"
env: {APP_MODE: prod}
user: "1001:1001"
entrypoint: [python, -m, http.server]
workdir: /srv
YAML
C="--cache-dir $T/cache"

# --- the file's settings land in the image config ------------------------------------------
if "$BIN" build "$P/environment.yml" $C -o "oci:$T/a.oci" -t cfg:1 >"$T/a.out" 2>"$T/a.log"; then
  e2e_ok "build reads imgbuild.yaml beside the environment file"
else
  e2e_bad "build reads imgbuild.yaml beside the environment file" "$(tail -5 "$T/a.log")"
fi
check "the run names the config it read" grep -q "project config: $P/imgbuild.yaml" "$T/a.log"
cfg=$(skopeo inspect --config "oci:$T/a.oci:1" 2>&1)
check_eq "label from the file" "data" "$(jq -r '.config.Labels["org.example.team"]' <<<"$cfg")"
check_eq "second label from the file" "2" "$(jq -r '.config.Labels["org.example.tier"]' <<<"$cfg")"
check_eq "User from the file" "1001:1001" "$(jq -r '.config.User' <<<"$cfg")"
check_eq "Entrypoint from the file" '["python","-m","http.server"]' "$(jq -c '.config.Entrypoint' <<<"$cfg")"
check_eq "WorkingDir from the file" "/srv" "$(jq -r '.config.WorkingDir' <<<"$cfg")"
check_eq "Env from the file" "APP_MODE=prod" "$(jq -r '.config.Env[] | select(startswith("APP_MODE="))' <<<"$cfg")"

# --- flags override it ---------------------------------------------------------------------
"$BIN" build "$P/environment.yml" $C -o "oci:$T/b.oci" -t cfg:1 --user 2000:2000 \
  --label org.example.tier=3 >"$T/b.out" 2>"$T/b.log" || e2e_bad "build with overriding flags" "$(tail -5 "$T/b.log")"
cfg=$(skopeo inspect --config "oci:$T/b.oci:1" 2>&1)
check_eq "--user overrides the file's user" "2000:2000" "$(jq -r '.config.User' <<<"$cfg")"
check_eq "--label overrides the file's label of the same key" "3" "$(jq -r '.config.Labels["org.example.tier"]' <<<"$cfg")"
check_eq "the file's other labels stay (merged)" "data" "$(jq -r '.config.Labels["org.example.team"]' <<<"$cfg")"
check_eq "the file's entrypoint stays" '["python","-m","http.server"]' "$(jq -c '.config.Entrypoint' <<<"$cfg")"

# --- --config none, --config FILE ----------------------------------------------------------
"$BIN" build "$P/environment.yml" $C --config none --channel "file://$T/channel" \
  -o "oci:$T/c.oci" -t cfg:1 >"$T/c.out" 2>"$T/c.log" || e2e_bad "build --config none" "$(tail -5 "$T/c.log")"
cfg=$(skopeo inspect --config "oci:$T/c.oci:1" 2>&1)
check_eq "--config none: no label from the file" "null" "$(jq -r '.config.Labels["org.example.team"]' <<<"$cfg")"
check_eq "--config none: no entrypoint from the file" "null" "$(jq -c '.config.Entrypoint' <<<"$cfg")"
printf 'channels: [file://%s/channel]\nlabels: {org.example.team: other}\n' "$T" >"$T/other.yaml"
"$BIN" build "$P/environment.yml" $C --config "$T/other.yaml" -o "oci:$T/d.oci" -t cfg:1 \
  >"$T/d.out" 2>"$T/d.log" || e2e_bad "build --config FILE" "$(tail -5 "$T/d.log")"
check_eq "--config FILE is read instead" "other" \
  "$(skopeo inspect --config "oci:$T/d.oci:1" 2>&1 | jq -r '.config.Labels["org.example.team"]')"

# --- plan reads the same file --------------------------------------------------------------
check "plan reads the file (its channel) and skips build's keys" "$BIN" plan "$P/environment.yml" $C

# --- a bad file fails first, with its position, and writes nothing -------------------------
mkdir -p "$T/bad"
cp "$P/environment.yml" "$T/bad/environment.yml"
printf 'channels: [file://%s/channel]\nuser: "Bad User"\n' "$T" >"$T/bad/imgbuild.yaml"
expect_fail "a bad user: gets --user's message at FILE:LINE:COLUMN" \
  "imgbuild build: $T/bad/imgbuild.yaml:2:7: --user: image user 'Bad User'" \
  "$BIN" build "$T/bad/environment.yml" $C -o "oci:$T/bad.oci"
check "nothing written for the bad config" test ! -e "$T/bad.oci"
printf 'channels: [file://%s/channel]\nlables: {a: b}\n' "$T" >"$T/bad/imgbuild.yaml"
expect_fail "an unknown key names FILE:LINE:COLUMN and the nearest key" \
  "$T/bad/imgbuild.yaml:2:1: unknown key 'lables'; did you mean 'label'\\?" \
  "$BIN" build "$T/bad/environment.yml" $C -o "oci:$T/bad.oci"
"$BIN" build "$T/bad/environment.yml" $C -o "oci:$T/bad.oci" >/dev/null 2>&1
check_eq "a usage error in the config exits 2" "2" "$?"

e2e_finish

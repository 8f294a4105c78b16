#!/usr/bin/env bash
# The CLI as CI uses it (issue 11, parts 6 and 7), against the real registry fixture and
# skopeo: `$(imgbuild -q ...)` is exactly the pushed HOST/REPO@sha256 reference; stdout
# without -q holds only the result; --metadata-file has buildx's keys with the registry's
# values; push prints the digest; a platform no channel has is named before anything is
# built; completion (bash: sourced, called with COMP_WORDS; zsh: loaded by compinit in a real
# zsh in tmux, keys typed) and the man page come from the option table; a wrong password or an unreachable registry fails before any package is fetched,
# naming where the credentials came from.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_tools skopeo docker-registry jq htpasswd openssl zsh tmux
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-cli.XXXXXX)
REG="$SRC/tests/fixtures/registry"
cleanup() {
  tmux kill-session -t "imgbuild-cli-zsh-$$" 2>/dev/null
  for d in "$T"/reg-*; do [ -d "$d" ] && "$REG" stop "$d"; done
  rm -rf "$T"
}
trap cleanup EXIT
export SOURCE_DATE_EPOCH=0
unset IMGBUILD_REGISTRY_USER IMGBUILD_REGISTRY_PASSWORD IMGBUILD_CACHE_REPO
export DOCKER_CONFIG="$T/nodocker"
# skopeo's blob-info cache must not let one run reuse another's blobs (TESTING.md)
sk() { unshare -m sh -c "mount -t tmpfs tmpfs /var/lib/containers/cache 2>/dev/null || true; exec skopeo \"\$@\"" sh "$@"; }
mkdir -p /var/lib/containers/cache

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
ENV="$SRC/examples/demo/environment.yml"
CH="file://$T/channel"
P=$("$REG" start "$T/reg-plain") || { echo "FAIL: registry did not start"; exit 1; }
H="127.0.0.1:$P"

# --- -q and stdout -----------------------------------------------------------------------
ref=$("$BIN" -q "$ENV" --channel "$CH" --cache-dir "$T/cache" -t "$H/team/x:1" -t "$H/team/x:latest" \
  --metadata-file "$T/meta.json" 2>"$T/q.err")
d=$(sk inspect --tls-verify=false "docker://$H/team/x:1" | jq -r .Digest)
check_eq "\$(imgbuild -q ... -t REG/x:1) is exactly the pushed @sha256 reference" "$H/team/x@$d" "$ref"
check_eq "-q: stderr holds no progress" "" "$(cat "$T/q.err")"
out=$("$BIN" build "$ENV" --channel "$CH" --cache-dir "$T/cache" -t "$H/team/x:1" 2>"$T/v.err")
check "without -q stdout has the table and the pushed reference" test "$(printf '%s\n' "$out" | grep -c "^pushed: $H/team/x:1@$d$")" -eq 1
check "without -q stdout ends with the digest" test "$(printf '%s\n' "$out" | tail -1)" = "digest: $d"
check "without -q no log line on stdout" test "$(printf '%s\n' "$out" | grep -c '^imgbuild:')" -eq 0
check "without -q the log is on stderr" grep -q '^imgbuild: ' "$T/v.err"

# --- --metadata-file ------------------------------------------------------------------------
raw=$(sk inspect --raw --tls-verify=false "docker://$H/team/x:1")
check "the metadata file parses with jq" jq -e . "$T/meta.json"
check_eq "containerimage.digest is the pushed digest" "$d" "$(jq -r '."containerimage.digest"' "$T/meta.json")"
check_eq "containerimage.config.digest is the manifest's config" "$(printf '%s' "$raw" | jq -r .config.digest)" \
  "$(jq -r '."containerimage.config.digest"' "$T/meta.json")"
check_eq "containerimage.descriptor: media type, digest and size of the manifest" \
  "application/vnd.oci.image.manifest.v1+json $d $(printf '%s' "$raw" | wc -c)" \
  "$(jq -r '."containerimage.descriptor" | "\(.mediaType) \(.digest) \(.size)"' "$T/meta.json")"
check_eq "image.name lists every -t, comma-separated" "$H/team/x:1,$H/team/x:latest" "$(jq -r '."image.name"' "$T/meta.json")"
# the manifest's first layer is the root filesystem layer (no base here: docs/base-images.md),
# group rootfs with no packages; then the package layers
check_eq "layers: every layer of the manifest, in order, with size and digest" \
  "$(printf '%s' "$raw" | jq -r '[.layers[] | "\(.size) \(.digest)"] | join(",")')" \
  "$(jq -r '[.layers[] | "\(.size) \(.digest)"] | join(",")' "$T/meta.json")"
check_eq "the first is the root filesystem layer: group rootfs, no packages" "rootfs 0" \
  "$(jq -r '.layers[0] | "\(.group) \(.packages)"' "$T/meta.json")"
check "the others have a group and a package count" jq -e '.layers[1:] | length > 0 and all(.group != null and .packages > 0)' "$T/meta.json"
rootfs_digest=$(printf '%s' "$raw" | jq -r '.layers[0].digest')
check "the build table's first row is the root filesystem layer" \
  grep -qE "^rootfs +0 +[0-9.]+ [KMG]?B  $rootfs_digest  generated\$" <<<"$(printf '%s\n' "$out" | sed -n 2p)"

# --- push prints the digest -------------------------------------------------------------------
"$BIN" build "$ENV" --channel "$CH" --cache-dir "$T/cache" --output "oci:$T/out.oci" -t out:1 >/dev/null 2>&1
pd=$(jq -r '.manifests[0].digest' "$T/out.oci/index.json")
check_eq "push prints the pushed digest" "digest: $pd" "$("$BIN" push "oci:$T/out.oci:1" "$H/team/p:1" 2>/dev/null | tail -1)"
check_eq "push -q prints REPO@DIGEST only" "$H/team/p@$pd" "$("$BIN" push -q "oci:$T/out.oci:1" "$H/team/p:2" 2>/dev/null)"
check_eq "the registry has that digest" "$pd" "$(sk inspect --tls-verify=false "docker://$H/team/p:2" | jq -r .Digest)"

# --- a platform no channel has, named up front ----------------------------------------------------
expect_fail "a missing linux-aarch64 is named with the channel URL" \
  "linux/arm64: no channel has a linux-aarch64/ subdir \($CH\)" \
  "$BIN" build "$ENV" --channel "$CH" --cache-dir "$T/cache-arm" --platform linux/amd64,linux/arm64 -t "$H/team/arm:1"
check "... before any platform was built (no package fetched)" test ! -e "$T/cache-arm/pkgs"

# --- usage errors, help ---------------------------------------------------------------------------
"$BIN" build --chanel x "$ENV" >"$T/typo.out" 2>&1
check_eq "a typo'd flag: one line naming the nearest flag" "imgbuild build: unknown option --chanel; did you mean --channel?" "$(cat "$T/typo.out")"
check_eq "help CMD is CMD --help" "$("$BIN" push --help)" "$("$BIN" help push)"

# --- completion and man page from the option table ---------------------------------------------------
"$BIN" completion bash >"$T/comp.bash"
comp() { (source "$T/comp.bash"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _imgbuild; echo "${COMPREPLY[*]}"); }
check_eq "bash: flags of build starting --comp" "--compression --compression-level" "$(comp imgbuild build --comp)"
check_eq "bash: implicit build completes build's flags" "--metadata-file" "$(comp imgbuild env.yml --metadata)"
check_eq "bash: a choice argument completes its words" "auto tty plain json" "$(comp imgbuild build --progress '')"
check_eq "bash: push takes only push's flags" "--quiet" "$(comp imgbuild push --qu)"
check_eq "bash: commands" "completion" "$(comp imgbuild compl)"
# the flags the help lists (each row starts "  -c, --channel" or "      --offline"), not the
# --words its texts mention (--pypi-index's help names pip's --index-url)
want=$("$BIN" build --help | grep -oE -- '^ {2,6}(-[a-zA-Z], )?--[a-z][a-z-]+' | grep -oE -- '--[a-z][a-z-]+' | sort -u | tr '\n' ' ')
check_eq "bash: every build flag of --help is completed" "$want" "$(comp imgbuild build -- | tr ' ' '\n' | sort -u | grep . | tr '\n' ' ')"
"$BIN" completion zsh >"$T/_imgbuild"
check "zsh completion parses" zsh -n "$T/_imgbuild"
check "zsh completion lists --cache-repo" grep -q -- "--cache-repo\[" "$T/_imgbuild"
# zsh: the function loaded by compinit into a real interactive zsh (in tmux), keys typed, the
# screen read back
ZD="$T/zsh"
mkdir -p "$ZD/func"
cp "$T/_imgbuild" "$ZD/func/"
printf 'fpath=(%q $fpath)\nautoload -U compinit && compinit -u -d %q\nPS1="%%%% "\n' "$ZD/func" "$ZD/zcompdump" >"$ZD/.zshrc"
ZS="imgbuild-cli-zsh-$$"
tmux new-session -d -s "$ZS" -x 200 -y 50 "env ZDOTDIR=$(printf %q "$ZD") zsh -i"
for _ in $(seq 50); do tmux capture-pane -p -t "$ZS" | grep -q '^% ' && break; sleep 0.2; done
# zcomp TEXT: on a cleared screen, types TEXT and Tab; prints the screen
zcomp() {
  tmux send-keys -t "$ZS" C-u C-l
  sleep 0.3
  tmux send-keys -t "$ZS" "$1" Tab
  sleep 1
  tmux capture-pane -p -t "$ZS"
}
check "zsh: a subcommand completes" grep -qx '% imgbuild push' <<<"$(zcomp 'imgbuild pu')"
check "zsh: the subcommands are listed with their help" grep -qE '^push +-- push an OCI image layout' <<<"$(zcomp 'imgbuild ')"
check "zsh: a flag of build completes" grep -qx '% imgbuild build --cache-repo' <<<"$(zcomp 'imgbuild build --cache-r')"
check "zsh: push does not offer build's flags" grep -qx '% imgbuild push --cache-r' <<<"$(zcomp 'imgbuild push --cache-r')"
check "zsh: a choice argument lists its words" grep -qE '^gzip +zstd *$' <<<"$(zcomp 'imgbuild build --compression ')"
check "zsh: help completes a command" grep -qx '% imgbuild help push' <<<"$(zcomp 'imgbuild help pu')"
tmux kill-session -t "$ZS" 2>/dev/null
"$BIN" man >"$T/imgbuild.1"
check "the man page renders" sh -c "man -l '$T/imgbuild.1' >'$T/man.txt' 2>'$T/man.err' && ! test -s '$T/man.err'"
missing=""
for f in $want; do grep -q -- "$f" "$T/man.txt" || missing="$missing $f"; done
check_eq "the man page lists every build flag" "" "$missing"
check_eq "completion of an unknown shell is a usage error" 2 "$("$BIN" completion fish >/dev/null 2>&1; echo $?)"

# --- fail fast: registries and credentials before any package is fetched -----------------------
PASS='s3cret-Pa55-cli'
PA=$("$REG" start "$T/reg-auth" --tls --htpasswd "ci:$PASS") || { echo "FAIL: auth registry did not start"; exit 1; }
HA="127.0.0.1:$PA"
CA=(--ca-cert "$T/reg-auth/tls/crt.pem")
mkdir -p "$T/dockercfg"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$HA" "$(printf 'ci:wrong-from-config' | base64)" >"$T/dockercfg/config.json"
# early NAME REGEX [env...] -- ARGS: the build fails naming REGEX, and no package was fetched
early() {
  local name=$1 re=$2 envs=(); shift 2
  while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  rm -rf "$T/cache-ff"
  expect_fail "$name" "$re" env "${envs[@]}" "$BIN" build "$@" "$ENV" --channel "$CH" --cache-dir "$T/cache-ff" "${CA[@]}" -t "$HA/team/ff:1"
  check "$name: before any package was fetched" test ! -e "$T/cache-ff/pkgs"
}
early "a wrong --creds is rejected, naming --creds" "credentials from --creds were rejected" -- --creds ci:wrong
early "a wrong \$IMGBUILD_REGISTRY_PASSWORD names the variables" \
  'credentials from \$IMGBUILD_REGISTRY_USER/\$IMGBUILD_REGISTRY_PASSWORD were rejected' \
  IMGBUILD_REGISTRY_USER=ci IMGBUILD_REGISTRY_PASSWORD=wrong --
early "a wrong Docker config entry names the file and the auths key" \
  "credentials from $T/dockercfg/config.json: auths\[\"$HA\"\] were rejected" DOCKER_CONFIG="$T/dockercfg" --
early "missing credentials say where imgbuild looked" \
  "no credentials were sent: none found \(no --creds, no .IMGBUILD_REGISTRY_USER, nothing for $HA in $T/nodocker/config.json\)" --
check "no password in any message" sh -c "! grep -rq -- '$PASS' '$T'/*.err 2>/dev/null"
rm -rf "$T/cache-ff"
expect_fail "an unreachable -t registry fails before the build" "-t 127.0.0.1:1/team/x:1: checked before building: registry 127.0.0.1:1: GET /v2/" \
  "$BIN" build "$ENV" --channel "$CH" --cache-dir "$T/cache-ff" -t 127.0.0.1:1/team/x:1
check "... before any package was fetched" test ! -e "$T/cache-ff/pkgs"
# the registry cache is best effort: one warning before anything is fetched, then a build
# without it
"$BIN" build "$ENV" --channel "$CH" --cache-dir "$T/cache-ff" --cache-repo 127.0.0.1:1/cache --output "oci:$T/ff.oci" \
  >/dev/null 2>"$T/ff.err"
check_eq "an unreachable --cache-repo: the build goes on without it" 0 "$?"
check_eq "... after one warning" 1 "$(grep -c 'warning: registry cache 127.0.0.1:1/cache cannot be read' "$T/ff.err")"
check "... given before any package was fetched" awk '/warning: registry cache/ { w = NR } /fetched / && !f { f = NR } END { exit !(w && f && w < f) }' "$T/ff.err"
ref=$("$BIN" -q "$ENV" --channel "$CH" --cache-dir "$T/cache" "${CA[@]}" --creds "ci:$PASS" -t "$HA/team/ok:1" 2>"$T/ok.err")
check_eq "the right password passes the check and pushes" "$HA/team/ok@$d" "$ref"
check "the check left no upload session behind (DELETE answered)" grep -qE '"DELETE /v2/team/ok/blobs/uploads/[^ ]* HTTP/[0-9.]+" 204' "$T/reg-auth/registry.log"

e2e_finish

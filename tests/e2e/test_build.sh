#!/usr/bin/env bash
# End to end, offline: a real conda channel built from Debian's packages -> imgbuild build ->
# the image is accepted by skopeo, umoci and oci-image-tool, and runs in a chroot: python,
# a binary whose prefix placeholder was rewritten, a noarch entry point. Then determinism,
# --prefix, --base, and every bad input ends with a clear error and no output.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_tools skopeo umoci oci-image-tool unshare chroot jq
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-e2e.XXXXXX)
trap 'rm -rf "$T"' EXIT
export SOURCE_DATE_EPOCH=0

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
ENV="$SRC/examples/demo/environment.yml"
CH="file://$T/channel"

build() { "$BIN" build "$@"; }

# --- the demo build -------------------------------------------------------------------
check "demo image builds" build "$ENV" --channel "$CH" --cache-dir "$T/cache" --output "oci:$T/out/demo.oci" -t demo:1.0
L="$T/out/demo.oci"
check "skopeo inspect accepts the image" skopeo inspect "oci:$L:1.0"
check "oci-image-tool validate accepts the layout" oci-image-tool validate --type image --ref name=1.0 "$L"
check "umoci unpack accepts the image" umoci unpack --image "$L:1.0" "$T/bundle"
R="$T/bundle/rootfs"
check_eq "python runs inside the image" "ok" "$(run_in "$R" /opt/conda/envs/demo/bin/python -c 'import json; print("ok")')"
check_eq "binary placeholder rewritten to the target prefix" "prefix=/opt/conda/envs/demo" \
  "$(run_in "$R" /opt/conda/envs/demo/bin/prefixdemo | head -n 1)"
out=$(run_in "$R" /opt/conda/envs/demo/bin/hello-noarch)
case "$out" in *hello*) e2e_ok "noarch entry point runs";; *) e2e_bad "noarch entry point runs" "$out";; esac
check "text placeholder replaced" grep -q /opt/conda/envs/demo "$R/opt/conda/envs/demo/etc/prefixdemo.conf"
if grep -rq anaconda1anaconda2anaconda3 "$R/opt/conda/envs/demo/etc"; then e2e_bad "no text placeholder left"; else e2e_ok "no text placeholder left"; fi
check "conda-meta records exist" test -n "$(ls "$R"/opt/conda/envs/demo/conda-meta/python-3.11*.json)"
if grep -rqE "$T|file://" "$R/opt/conda/envs/demo/conda-meta"; then e2e_bad "conda-meta holds no host paths"; else e2e_ok "conda-meta holds no host paths"; fi

cfg=$(skopeo inspect --config "oci:$L:1.0")
check_eq "config Env has CONDA_PREFIX" "CONDA_PREFIX=/opt/conda/envs/demo" "$(jq -r '.config.Env[] | select(startswith("CONDA_PREFIX="))' <<<"$cfg")"
check_eq "config Env has the file's variables" "DEMO_GREETING=hello" "$(jq -r '.config.Env[] | select(startswith("DEMO_GREETING="))' <<<"$cfg")"
check_eq "PATH starts with the env's bin" "PATH=/opt/conda/envs/demo/bin:" "$(jq -r '.config.Env[] | select(startswith("PATH="))' <<<"$cfg" | cut -c1-30)"
nlayers=$(jq '.rootfs.diff_ids | length' <<<"$cfg")
nhist=$(jq '[.history[] | select(.created_by | test("imgbuild: layer group .* \\([0-9]+ packages\\)|imgbuild: root filesystem \\("))] | length' <<<"$cfg")
check_eq "one history entry per layer naming group and package count (or the root filesystem)" "$nlayers" "$nhist"
# no base: the root filesystem basics (docs/base-images.md) are the first layer
check_eq "the root filesystem layer is the first" "imgbuild: root filesystem (etc/" "$(jq -r '.history[0].created_by' <<<"$cfg" | cut -c1-31)"
check_eq "base-python is the first group layer" "base-python" "$(jq -r '.history[1].created_by' <<<"$cfg" | awk '{print $4}')"

# --- determinism: another cache, another output dir, one job, other umask/TZ/locale ------
d1=$(jq -r '.manifests[0].digest' "$L/index.json")
( umask 077; TZ=Asia/Tokyo LANG=C.UTF-8 build "$ENV" --channel "$CH" --cache-dir "$T/cache2" --jobs 1 \
    --output "oci:$T/again/x.oci" -t demo:1.0 >/dev/null 2>&1 )
d2=$(jq -r '.manifests[0].digest' "$T/again/x.oci/index.json" 2>/dev/null)
check_eq "same environment twice gives the same manifest digest" "$d1" "$d2"

# --- installs overlap compression (issue 14 #1): installs and layers are one job graph, group
# by group, so with one job the first layer is compressed before the last package is installed
# (the old order, every install then every layer, has the first compress after the install end)
build "$ENV" --channel "$CH" --cache-dir "$T/cache3" --jobs 1 --progress json \
  --output "oci:$T/ov/x.oci" -t demo:1.0 >/dev/null 2>"$T/ov.json"
check "one job: the first layer is compressed before the installs end" jq -e -s \
  '(map(.step == "compress" and .event == "start") | index(true)) as $c |
   (map(.step == "install" and .event == "end") | index(true)) as $i |
   $c != null and $i != null and $c < $i' "$T/ov.json"
check_eq "and the image is the same" "$d1" "$(jq -r '.manifests[0].digest' "$T/ov/x.oci/index.json" 2>/dev/null)"

# --- no subcommand means build; caches default to $XDG_CACHE_HOME/imgbuild -----------------
XDG_CACHE_HOME="$T/xdg" check "'imgbuild ENV -t REF' builds" "$BIN" "$ENV" --channel "$CH" --output "oci:$T/out/implicit.oci" -t demo:1.0
check_eq "implicit build gives the same image" "$d1" "$(jq -r '.manifests[0].digest' "$T/out/implicit.oci/index.json" 2>/dev/null)"
check "caches live under \$XDG_CACHE_HOME/imgbuild" test -d "$T/xdg/imgbuild/pkgs/sha256"

# --- kill -9 mid-build: no output under the final name, the next build sweeps and succeeds --
for delay in 0.05 0.2 0.5; do
  "$BIN" build "$ENV" --channel "$CH" --cache-dir "$T/cache-kill" --output "oci:$T/killed/k.oci" -t k:1 >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"; kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  if [ -e "$T/killed/k.oci" ] && ! jq -e '.manifests[0].digest' "$T/killed/k.oci/index.json" >/dev/null 2>&1; then
    e2e_bad "kill -9 after ${delay}s leaves no half-written output"
  else
    e2e_ok "kill -9 after ${delay}s leaves no half-written output"
  fi
  rm -rf "$T/killed/k.oci"
done
check "build after kills succeeds" build "$ENV" --channel "$CH" --cache-dir "$T/cache-kill" --output "oci:$T/killed/k.oci" -t demo:1.0
check_eq "and gives the same image" "$d1" "$(jq -r '.manifests[0].digest' "$T/killed/k.oci/index.json" 2>/dev/null)"
check_eq "killed builds' scratch was swept" "" "$(ls "$T/cache-kill/tmp" "$T/cache-kill/pkgs/tmp" 2>/dev/null | grep -v ':$' | grep . ; ls -d "$T"/killed/*.tmp-* 2>/dev/null)"

# --- --prefix ---------------------------------------------------------------------------
check "--prefix build" build "$ENV" --channel "$CH" --cache-dir "$T/cache" --prefix /srv/env --output "oci:$T/out/p.oci" -t p:1
umoci unpack --image "$T/out/p.oci:1" "$T/bundle-p" >/dev/null 2>&1
check_eq "--prefix is where the binary looks" "prefix=/srv/env" "$(run_in "$T/bundle-p/rootfs" /srv/env/bin/prefixdemo | head -n 1)"

# --- --base -----------------------------------------------------------------------------
if "$SRC/tests/fixtures/mkbase" "$T/base" base >"$T/mkbase.log" 2>&1; then
  check "build on a base image" build "$ENV" --channel "$CH" --cache-dir "$T/cache" --base "oci:$T/base:base" \
    --output "oci:$T/out/b.oci" -t b:1
  check "umoci unpacks the based image" umoci unpack --image "$T/out/b.oci:1" "$T/bundle-b"
  check "base image's shell is there" test -e "$T/bundle-b/rootfs/bin/sh"
  check_eq "python runs on the base" "ok" "$(run_in "$T/bundle-b/rootfs" /opt/conda/envs/demo/bin/python -c 'print("ok")')"
  nb=$(skopeo inspect --config "oci:$T/base:base" | jq '.rootfs.diff_ids | length')
  nt=$(skopeo inspect --config "oci:$T/out/b.oci:1" | jq '.rootfs.diff_ids | length')
  check_eq "base layers come first, then ours" "$((nb + nlayers))" "$nt"
else
  e2e_bad "mkbase fixture builds" "$(tail -20 "$T/mkbase.log")"
fi

# --- bad inputs: clear error, non-zero exit, no output ---------------------------------
no_output() { if [ -e "$1" ]; then e2e_bad "$2: no output left" "$(ls -la "$1")"; else e2e_ok "$2: no output left"; fi; }
printf 'name: bad\ndependencies:\n  - python\n - oops\n' >"$T/bad.yml"
expect_fail "malformed YAML names file:line:column" "bad.yml:[0-9]+:[0-9]+: " build "$T/bad.yml" --channel "$CH" --cache-dir "$T/cache" --output "oci:$T/o1"
no_output "$T/o1" "malformed YAML"
expect_fail "unknown channel names the URL" "file://$T/nowhere" build "$ENV" --channel "file://$T/nowhere" --cache-dir "$T/cache" --output "oci:$T/o2"
no_output "$T/o2" "unknown channel"
printf 'name: unsat\nchannels: [%s]\ndependencies:\n  - python=9.9\n' "$CH" >"$T/missing.yml"
expect_fail "a spec nothing provides is named" "nothing provides 'python=9.9'" build "$T/missing.yml" --cache-dir "$T/cache" --output "oci:$T/o3"
no_output "$T/o3" "spec nothing provides"
# demo-app needs demo-data >=2: pinning demo-data 1.0 cannot be satisfied
printf 'name: unsat\nchannels: [%s]\ndependencies:\n  - demo-app\n  - demo-data=1.0\n' "$CH" >"$T/unsat.yml"
expect_fail "unsatisfiable spec is explained" "cannot solve the environment.*demo-app.*requires demo-data >=2" build "$T/unsat.yml" --cache-dir "$T/cache" --output "oci:$T/o3"
no_output "$T/o3" "unsatisfiable spec"
printf 'name: pip\nchannels: [%s]\ndependencies:\n  - python=3.11\n  - pip:\n    - requests\n' "$CH" >"$T/pip.yml"
expect_fail "pip section against an unreachable index names the URL" "cannot fetch http://127.0.0.1:1/simple/requests/" build "$T/pip.yml" --cache-dir "$T/cache" --output "oci:$T/o4" --pypi-index http://127.0.0.1:1/simple/
no_output "$T/o4" "pip section (unreachable index)"
mkdir -p "$T/precious" && echo keep >"$T/precious/file"
expect_fail "a non-layout output directory is refused" "not an OCI image layout" build "$ENV" --channel "$CH" --cache-dir "$T/cache" --output "oci:$T/precious"
check_eq "and left untouched" "keep" "$(cat "$T/precious/file")"

if "$SRC/tests/fixtures/mkchannel" --bad "$T/badchan" >"$T/mkbad.log" 2>&1; then
  printf 'name: mismatch\nchannels: [file://%s/mismatch]\ndependencies:\n  - mismatch\n' "$T/badchan" >"$T/mm.yml"
  expect_fail "checksum mismatch names package and URL" "checksum mismatch for package mismatch-1.0-0.tar.bz2 from file://" build "$T/mm.yml" --cache-dir "$T/cache-bad" --output "oci:$T/o5"
  no_output "$T/o5" "checksum mismatch"
  if find "$T/cache-bad/pkgs" -type f 2>/dev/null | grep -q .; then e2e_bad "checksum mismatch: nothing cached" "$(find "$T/cache-bad/pkgs" -type f)"; else e2e_ok "checksum mismatch: nothing cached"; fi
  for h in abspath dotdot symlink-rel symlink-abs symlink-through chardev; do
    printf 'name: hostile\nchannels: [file://%s/hostile]\ndependencies:\n  - bad-%s\n' "$T/badchan" "$h" >"$T/h.yml"
    expect_fail "hostile archive ($h) is refused" "refusing to install bad-$h" build "$T/h.yml" --cache-dir "$T/cache-bad" --output "oci:$T/o6"
    no_output "$T/o6" "hostile archive ($h)"
  done
else
  e2e_bad "bad-channel fixture builds" "$(tail -20 "$T/mkbad.log")"
fi
left=$(find "$T/cache/tmp" "$T/cache-bad/tmp" "$T/cache/pkgs/tmp" "$T/cache-bad/pkgs/tmp" -mindepth 1 -maxdepth 1 2>/dev/null | head -5)
check_eq "no build scratch left in the caches" "" "$left"
left=$(ls -d "$T"/out/*.tmp-* "$T"/o*.tmp-* 2>/dev/null | head -5)
check_eq "no temporary layouts left beside outputs" "" "$left"

e2e_finish

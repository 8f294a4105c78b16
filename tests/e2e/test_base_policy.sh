#!/usr/bin/env bash
# Issue 11, parts 1 and 2 end to end: the base image policy and the root filesystem basics.
# The fixture: `mkchannel --glibc-apps` adds a conda-forge-style hello (Debian's binary, its
# PT_INTERP the plain /lib64/ld-linux-x86-64.so.2, depends "__glibc >=2.17") and
# ca-certificates (ssl/cacert.pem) without changing the demo packages. The detection runs on
# that real package and on mkbase's real layers (through test_basecheck's fixture test); the
# image built on mkbase's base runs hello; a build without --base fails clearly, --base
# scratch builds with a warning, and --user and the root filesystem layer work in the image
# (builder/pipeline_base.c, docs/base-images.md "Wiring").
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_tools umoci unshare chroot jq python3 readelf zstd
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
BUILD=${IMGBUILD_BUILD:-$SRC/build}
T=$(mktemp -d /tmp/imgbuild-e2e.XXXXXX)
trap 'rm -rf "$T"' EXIT
export SOURCE_DATE_EPOCH=0

LOADER=/lib64/ld-linux-x86-64.so.2
FX="$SRC/tests/fixtures"
"$FX/mkchannel" --glibc-apps "$T/channel" >"$T/mkchannel.log" 2>&1 ||
	{ cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
"$FX/mkchannel" "$T/plain" >"$T/plain.log" 2>&1 ||
	{ cat "$T/plain.log"; echo "FAIL: default fixture channel could not be built"; exit 1; }
"$FX/mkbase" "$T/base" base >"$T/mkbase.log" 2>&1 ||
	{ cat "$T/mkbase.log"; echo "FAIL: fixture base image could not be built"; exit 1; }

# --- the fixture ---------------------------------------------------------------------------
same=$(python3 - "$T/plain" "$T/channel" <<'EOF'
import json, sys
plain, extended = sys.argv[1:]
bad = []
for sd in ("linux-64", "noarch"):
    a = json.load(open("%s/%s/repodata.json" % (plain, sd)))
    b = json.load(open("%s/%s/repodata.json" % (extended, sd)))
    for key in ("packages", "packages.conda"):
        bad += [fn for fn, rec in a[key].items() if b[key].get(fn) != rec]
print("same" if not bad else "differ: " + " ".join(bad))
EOF
)
check_eq "--glibc-apps leaves every demo package as it was" "same" "$same"
HELLO=$(ls "$T"/channel/linux-64/hello-*.conda)
check_eq "hello depends on __glibc, as conda-forge's packages do" '["__glibc >=2.17"]' \
	"$(jq -c '.["packages.conda"][] | select(.name == "hello") | .depends' "$T/channel/linux-64/repodata.json")"
# installed as install_package lays out a .conda: the pkg-*.tar.zst member's contents
mkdir -p "$T/stage/hello"
python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); n = [m for m in z.namelist() if m.startswith("pkg-")][0]; sys.stdout.buffer.write(z.read(n))' "$HELLO" |
	zstd -dc | tar -x -C "$T/stage/hello"
check_eq "hello's ELF asks for the plain system loader (not patched)" "$LOADER" \
	"$(readelf -l "$T/stage/hello/bin/hello" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')"

# --- detection on the real package and the real base layers --------------------------------
layers=$(jq -r '.manifests[0].digest' "$T/base/index.json" | sed 's/sha256://' |
	xargs -I{} jq -r '.layers[].digest' "$T/base/blobs/sha256/{}" | sed "s#sha256:#$T/base/blobs/sha256/#" | paste -sd:)
out=$(IMGBUILD_E2E_GLIBC_APP_TREE="$T/stage/hello" IMGBUILD_E2E_BASE_LAYERS="$layers" \
	"$BUILD/tests/test_basecheck" 2>&1)
case "$out" in
*"[       OK ] test_fixture_package_and_fixture_base"*)
	e2e_ok "basecheck: hello (bin/hello) needs $LOADER; mkbase's layers provide it" ;;
*) e2e_bad "basecheck: hello needs the loader, mkbase's layers provide it" "$(printf '%s\n' "$out" | tail -15)" ;;
esac

# --- images ----------------------------------------------------------------------------------
printf 'name: e\nchannels: [file://%s]\ndependencies:\n  - hello\n  - ca-certificates\n' "$T/channel" >"$T/hello.yml"
build() { "$BIN" build "$T/hello.yml" --cache-dir "$T/cache" "$@"; }

check "hello builds on the fixture base" build --base "oci:$T/base:base" --output "oci:$T/out/b.oci" -t b:1
umoci unpack --image "$T/out/b.oci:1" "$T/bundle-b" >/dev/null 2>&1
check_eq "hello runs on a base with glibc" "Hello, world!" "$(run_in "$T/bundle-b/rootfs" /opt/conda/envs/e/bin/hello)"

expect_fail "without --base the build fails naming hello, the loader and what to pass" \
	"package hello \(bin/hello\) needs the system loader $LOADER, which no base image provides
imgbuild: hint: pass a glibc-based --base such as docker.io/library/debian:bookworm-slim@sha256:.*, or --base scratch to build anyway" \
	build --output "oci:$T/out/none.oci" -t none:1
check_eq "and leaves no output" "" "$(ls -d "$T/out/none.oci" 2>/dev/null)"
# the layer now comes from the layer cache: the same decision with the scan findings
# remembered, and with them gone (hello is then installed just to be scanned)
rm -rf "$T/cache/basecheck"
expect_fail "the same message when the layer is cached and nothing was remembered" \
	"package hello \(bin/hello\) needs the system loader $LOADER, which no base image provides" \
	build --output "oci:$T/out/none.oci" -t none:1
check "the scan's findings are remembered per package" test -n "$(ls "$T"/cache/basecheck/*.json 2>/dev/null)"
out=$(build --base scratch --output "oci:$T/out/s.oci" -t s:1 2>&1)
check "--base scratch builds anyway" test -f "$T/out/s.oci/index.json"
case "$out" in
*"warning: scratch base: package hello (bin/hello) needs the system loader $LOADER"*) e2e_ok "--base scratch warns, naming hello" ;;
*) e2e_bad "--base scratch warns, naming hello" "$out" ;;
esac
umoci unpack --image "$T/out/s.oci:1" "$T/bundle-s" >/dev/null 2>&1
R="$T/bundle-s/rootfs"
# the failure the policy exists for: the image has no loader, so exec fails
expect_fail "in an image without a C library hello cannot start" "No such file or directory" \
	run_in "$R" /opt/conda/envs/e/bin/hello

# --- root filesystem basics ------------------------------------------------------------------
printf 'name: p\nchannels: [file://%s]\ndependencies:\n  - python\n  - ca-certificates\n' "$T/channel" >"$T/py.yml"
image_config() { # image_config LAYOUT: the config of its first manifest
	local m c
	m=$(jq -r '.manifests[0].digest' "$1/index.json" | sed 's/^sha256://')
	c=$(jq -r '.config.digest' "$1/blobs/sha256/$m" | sed 's/^sha256://')
	cat "$1/blobs/sha256/$c"
}
as_user() { # as_user ROOTFS UID:GID CMD...: CMD inside ROOTFS as that user
	local root=$1 ids=$2
	shift 2
	mkdir -p "$root/proc"
	unshare -m -p -f --mount-proc="$root/proc" chroot --userspec="$ids" "$root" "$@" 2>&1
}
check "python builds with --base scratch --user alice" "$BIN" build "$T/py.yml" --cache-dir "$T/cache" \
	--base scratch --user alice --output "oci:$T/out/u.oci" -t u:1
umoci unpack --image "$T/out/u.oci:1" "$T/bundle-u" >/dev/null 2>&1
U="$T/bundle-u/rootfs"
PY=/opt/conda/envs/p/bin/python
check_eq "config User is numeric (runAsNonRoot can check it)" "1000:1000" "$(image_config "$T/out/u.oci" | jq -r .config.User)"
check_eq "/tmp is 1777" "1777" "$(stat -c %a "$U/tmp")"
check_eq "passwd has root and alice" "root:x:0:0:root:/root:/bin/sh
alice:x:1000:1000:alice:/home/alice:/bin/sh" "$(cat "$U/etc/passwd")"
check_eq "alice owns her home" "1000:1000" "$(stat -c %u:%g "$U/home/alice")"
check_eq "python's pwd finds alice" "alice /home/alice" \
	"$(as_user "$U" 1000:1000 $PY -c 'import os, pwd; p = pwd.getpwuid(os.getuid()); print(p.pw_name, p.pw_dir)')"
check_eq "python's pwd finds root" "root" "$(as_user "$U" 1000:1000 $PY -c 'import pwd; print(pwd.getpwuid(0).pw_name)')"
check_eq "tempfile works as alice" "/tmp ok" \
	"$(as_user "$U" 1000:1000 $PY -c 'import tempfile; d = tempfile.gettempdir(); tempfile.NamedTemporaryFile(); print(d, "ok")')"
check_eq "the CA bundle is found at Debian's path" "yes" \
	"$(as_user "$U" 1000:1000 $PY -c 'import ssl; c = ssl.create_default_context(cafile="/etc/ssl/certs/ca-certificates.crt"); print("yes" if c.cert_store_stats()["x509_ca"] > 100 else "no")')"
check "python builds on the fixture base with --user alice" "$BIN" build "$T/py.yml" --cache-dir "$T/cache" \
	--base "oci:$T/base:base" --user 1000:1000 --output "oci:$T/out/ub.oci" -t ub:1
umoci unpack --image "$T/out/ub.oci:1" "$T/bundle-ub" >/dev/null 2>&1
check_eq "the base's own passwd is kept" "$(sed -n 2p "$T/bundle-b/rootfs/etc/passwd")" "$(sed -n 2p "$T/bundle-ub/rootfs/etc/passwd")"
check "what the base lacks is added (nsswitch.conf)" test -f "$T/bundle-ub/rootfs/etc/nsswitch.conf"

e2e_finish

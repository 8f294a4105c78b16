#!/usr/bin/env bash
# End to end, offline: CEP-16 sharded repodata. The fixture channel (Debian's packages) is built
# from its repodata.json, then turned in place into a sharded channel (repodata.json removed;
# shard index + one zstd MessagePack shard per name, hashes as raw bytes as conda-forge writes
# them) and built again with a fresh cache: the image digest must not change. Also the real
# sharded sample from conda's test data (../shared/corpus), and a corrupt shard.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_tools jq python3 zstd
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
SHARED=${IMGBUILD_SHARED:-$SRC/../shared}
T=$(mktemp -d /tmp/imgbuild-e2e-shards.XXXXXX)
trap 'rm -rf "$T"' EXIT
export SOURCE_DATE_EPOCH=0

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
ENV="$SRC/examples/demo/environment.yml"
CH="file://$T/channel"

check "build from repodata.json" "$BIN" build "$ENV" --channel "$CH" --cache-dir "$T/c1" --output "oci:$T/plain.oci" -t demo:1.0
d_plain=$(jq -r '.manifests[0].digest' "$T/plain.oci/index.json")

# repodata.json -> repodata_shards.msgpack.zst + <sha256>.msgpack.zst (a minimal MessagePack
# writer: python3-msgpack is not needed for the few types repodata uses).
shard_channel() {
  python3 - "$1" <<'EOF'
import hashlib, json, os, struct, subprocess, sys
def pack(v):
    if v is None: return b'\xc0'
    if v is True: return b'\xc3'
    if v is False: return b'\xc2'
    if isinstance(v, int):
        if 0 <= v < 128: return bytes([v])
        return b'\xd3' + struct.pack('>q', v)
    if isinstance(v, float): return b'\xcb' + struct.pack('>d', v)
    if isinstance(v, bytes): return b'\xc6' + struct.pack('>I', len(v)) + v
    if isinstance(v, str):
        b = v.encode(); return b'\xdb' + struct.pack('>I', len(b)) + b
    if isinstance(v, list): return b'\xdd' + struct.pack('>I', len(v)) + b''.join(map(pack, v))
    if isinstance(v, dict):
        return b'\xdf' + struct.pack('>I', len(v)) + b''.join(pack(k) + pack(x) for k, x in v.items())
    raise TypeError(type(v))
def zst(b): return subprocess.run(['zstd', '-q', '-c'], input=b, stdout=subprocess.PIPE, check=True).stdout
for sub in ('linux-64', 'noarch'):
    d = os.path.join(sys.argv[1], sub)
    rd = json.load(open(os.path.join(d, 'repodata.json')))
    names = {}
    for key in ('packages', 'packages.conda'):
        for fn, r in rd.get(key, {}).items():
            r = dict(r)
            for h in ('sha256', 'md5'):
                if h in r: r[h] = bytes.fromhex(r[h])
            names.setdefault(r['name'], {'packages': {}, 'packages.conda': {}})[key][fn] = r
    shards = {}
    for name, s in names.items():
        blob = zst(pack(s))
        h = hashlib.sha256(blob).digest()
        open(os.path.join(d, h.hex() + '.msgpack.zst'), 'wb').write(blob)
        shards[name] = h
    idx = {'info': {'base_url': '', 'shards_base_url': '', 'subdir': sub}, 'version': 1, 'shards': shards}
    open(os.path.join(d, 'repodata_shards.msgpack.zst'), 'wb').write(zst(pack(idx)))
    for f in ('repodata.json', 'repodata.json.zst', 'repodata.json.bz2'):
        if os.path.exists(os.path.join(d, f)): os.unlink(os.path.join(d, f))
EOF
}
check "fixture channel sharded" shard_channel "$T/channel"
out=$("$BIN" build "$ENV" --channel "$CH" --cache-dir "$T/c2" --output "oci:$T/sharded.oci" -t demo:1.0 2>&1)
check_eq "build from shards succeeds" 0 $?
check "build log counts the shards fetched" grep -Eq "linux-64: [1-9][0-9]* shards \([1-9][0-9]* downloaded\)" <<<"$out"
check_eq "sharded channel gives the same image digest" "$d_plain" "$(jq -r '.manifests[0].digest' "$T/sharded.oci/index.json" 2>/dev/null)"
check "--offline solves from the cached shards" "$BIN" lock "$ENV" --channel "$CH" --cache-dir "$T/c2" --offline -o "$T/offline.lock" --format explicit

# The real sample (conda's tests/data/conda_format_repo): zlib needs libgcc-ng, another shard.
S=$SHARED/corpus/repodata/sharded-sample
if [ -d "$S" ]; then
  R=$T/real
  mkdir -p "$R/linux-64" "$R/noarch"
  cp "$S/linux-64_repodata_shards.msgpack.zst" "$R/linux-64/repodata_shards.msgpack.zst"
  for f in "$S"/linux-64_*.msgpack.zst; do
    b=${f##*/linux-64_}
    [ "$b" = repodata_shards.msgpack.zst ] || cp "$f" "$R/linux-64/$b"
  done
  cp "$S/noarch_repodata.json" "$R/noarch/repodata.json"
  printf 'channels:\n  - file://%s\n  - nodefaults\ndependencies:\n  - zlib\n' "$R" >"$T/zlib.yml"
  check "lock from the real sharded sample" "$BIN" lock "$T/zlib.yml" --cache-dir "$T/c3" -o "$T/zlib.lock" --format explicit
  check "lock has zlib (.conda) with its sha256 and libgcc-ng" grep -q \
    "zlib-1.2.11-h7b6447c_3.conda#f33afff2144e1d6c4cf2e3e184937db8bf825b4537df74662aea5ee207b6a31b" "$T/zlib.lock"
  check "lock has libgcc-ng" grep -q "libgcc-ng-8.2.0-hdf63c60_1.tar.bz2#1b6c9018" "$T/zlib.lock"
  z=$(ls "$R"/linux-64/56a0*.msgpack.zst)
  cp "$R"/linux-64/2dcd*.msgpack.zst "$z"
  expect_fail "corrupt shard: error names the shard URL and both hashes" \
    "shard of 'zlib' from file://$R/linux-64/56a0[0-9a-f]*\.msgpack\.zst has sha256 2dcd[0-9a-f]* but the index says 56a0" \
    "$BIN" lock "$T/zlib.yml" --cache-dir "$T/c4" -o "$T/bad.lock" --format explicit
  check "no lock written on a corrupt shard" test ! -e "$T/bad.lock"
else
  echo "SKIP: real sharded sample ($S absent)"
fi

e2e_finish

#!/usr/bin/env bash
# Smoke test of the fixture tools in tests/fixtures/: the channel mkchannel builds is
# internally consistent (repodata sha256/md5/size match the files, archive structure,
# paths.json hashes match the payload), rebuilds byte-identically, its python really runs from a
# bare prefix in a chroot, --bad makes the hostile archives it promises, mkbase makes a layout
# umoci accepts, and the registry runner serves /v2/ on loopback.
set -u
. "$(dirname "$0")/lib.sh"
SRC=${IMGBUILD_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
FX=$SRC/tests/fixtures
PY=/usr/bin/python3
[ -x "$PY" ] || e2e_skip "/usr/bin/python3 missing"
e2e_need_tools dpkg-deb patchelf zstd gcc apt-get
T=$(mktemp -d /tmp/imgbuild-fixtures.XXXXXX)
trap 'rm -rf "$T"' EXIT

if ! "$FX/mkchannel" "$T/channel" >"$T/mk1.log" 2>&1; then
	if grep -q "apt-get download" "$T/mk1.log"; then
		cat "$T/mk1.log"
		e2e_skip "Debian's archive unreachable and no cached .debs"
	fi
	cat "$T/mk1.log"
	echo "FAIL: mkchannel"
	exit 1
fi
e2e_ok "mkchannel builds the demo channel"

# --- channel consistency ------------------------------------------------------------------
check_channel() {
	"$PY" - "$1" <<'EOF'
import hashlib, io, json, os, subprocess, sys, tarfile, zipfile
chan = sys.argv[1]
errors = []
def digest(data, algo):
    return hashlib.new(algo, data).hexdigest()
def check_tar(tf, what, rec, payload_wanted):
    names = tf.getnames()
    members = {m.name: m for m in tf.getmembers()}
    if payload_wanted is not False:
        for n in ("info/index.json", "info/paths.json"):
            if n not in names:
                errors.append("%s: no %s" % (what, n))
        if errors:
            return
        idx = json.load(tf.extractfile("info/index.json"))
        for k in ("name", "version", "build", "build_number", "depends", "subdir"):
            if idx.get(k) != rec.get(k):
                errors.append("%s: index.json %s=%r, repodata %r" % (what, k, idx.get(k), rec.get(k)))
        paths = json.load(tf.extractfile("info/paths.json"))
        if paths.get("paths_version") != 1:
            errors.append("%s: paths_version is not 1" % what)
        return idx, paths["paths"]
    return None
def check_payload(tf, what, paths):
    members = {m.name: m for m in tf.getmembers()}
    for e in paths:
        m = members.get(e["_path"])
        if m is None:
            errors.append("%s: %s listed in paths.json, not in archive" % (what, e["_path"]))
            continue
        want = {"softlink": m.issym(), "hardlink": m.isreg() or m.islnk()}
        if not want.get(e["path_type"], False):
            errors.append("%s: %s path_type %s does not match member" % (what, e["_path"], e["path_type"]))
        if m.isreg():
            data = tf.extractfile(m).read()
            if digest(data, "sha256") != e["sha256"] or len(data) != e["size_in_bytes"]:
                errors.append("%s: %s sha256/size differ from paths.json" % (what, e["_path"]))
            ph = e.get("prefix_placeholder")
            if ph and ph.encode() not in data:
                errors.append("%s: %s lacks its placeholder" % (what, e["_path"]))
            if ph and e.get("file_mode") not in ("text", "binary"):
                errors.append("%s: %s has placeholder but file_mode %r" % (what, e["_path"], e.get("file_mode")))
    payload = sorted(n for n, m in members.items() if not n.startswith("info/") and not m.isdir())
    listed = sorted(e["_path"] for e in paths)
    if payload != listed:
        errors.append("%s: payload members differ from paths.json" % what)
total = 0
for subdir in ("linux-64", "noarch"):
    d = os.path.join(chan, subdir)
    rd = json.load(open(os.path.join(d, "repodata.json")))
    if rd.get("info", {}).get("subdir") != subdir:
        errors.append("%s/repodata.json: info.subdir wrong" % subdir)
    listed = {}
    for key, ext in (("packages", ".tar.bz2"), ("packages.conda", ".conda")):
        for fn, rec in rd.get(key, {}).items():
            if not fn.endswith(ext):
                errors.append("%s: %s under %s" % (subdir, fn, key))
            listed[fn] = rec
    files = sorted(f for f in os.listdir(d) if f != "repodata.json")
    if files != sorted(listed):
        errors.append("%s: files %s vs repodata %s" % (subdir, files, sorted(listed)))
    for fn, rec in sorted(listed.items()):
        p = os.path.join(d, fn)
        if not os.path.exists(p):
            continue
        total += 1
        data = open(p, "rb").read()
        if digest(data, "sha256") != rec.get("sha256"):
            errors.append("%s: sha256 differs from repodata" % fn)
        if digest(data, "md5") != rec.get("md5") or len(data) != rec.get("size"):
            errors.append("%s: md5/size differ from repodata" % fn)
        if rec.get("subdir") != subdir:
            errors.append("%s: subdir %r in %s/" % (fn, rec.get("subdir"), subdir))
        dist = fn[:-len(".conda")] if fn.endswith(".conda") else fn[:-len(".tar.bz2")]
        if fn.endswith(".conda"):
            try:
                z = zipfile.ZipFile(io.BytesIO(data))
            except zipfile.BadZipFile as e:
                errors.append("%s: not a zip: %s" % (fn, e)); continue
            want = ["metadata.json", "info-%s.tar.zst" % dist, "pkg-%s.tar.zst" % dist]
            if z.namelist() != want:
                errors.append("%s: zip members %s, want %s" % (fn, z.namelist(), want)); continue
            if any(i.compress_type != zipfile.ZIP_STORED for i in z.infolist()):
                errors.append("%s: zip members are compressed" % fn)
            if json.loads(z.read("metadata.json")) != {"conda_pkg_format_version": 2}:
                errors.append("%s: bad metadata.json" % fn)
            tars = []
            for n in want[1:]:
                raw = subprocess.run(["zstd", "-dc"], input=z.read(n), stdout=subprocess.PIPE).stdout
                tars.append(tarfile.open(fileobj=io.BytesIO(raw)))
            got = check_tar(tars[0], fn, rec, True)
            if got:
                check_payload(tars[1], fn, got[1])
        else:
            tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:bz2")
            got = check_tar(tf, fn, rec, True)
            if got:
                check_payload(tf, fn, got[1])
for e in errors:
    print(e)
names = set()
for subdir in ("linux-64", "noarch"):
    rd = json.load(open(os.path.join(chan, subdir, "repodata.json")))
    for key in ("packages", "packages.conda"):
        names |= {r["name"] for r in rd.get(key, {}).values()}
need = {"libc-debian", "python", "prefixdemo", "hello-noarch", "linkdemo", "demo-data", "demo-app"}
if not need <= names:
    print("missing packages: %s" % sorted(need - names)); sys.exit(1)
print("%d packages checked" % total)
sys.exit(1 if errors or total < 9 else 0)
EOF
}
check "repodata lists every package with matching sha256/md5/size; archives well formed; paths.json matches payload" check_channel "$T/channel"

check_eq "hello-noarch is noarch python with its entry point in link.json" \
	'python ["hello-noarch = hello_noarch.cli:main"]' \
	"$("$PY" - "$T/channel" <<'EOF'
import io, json, subprocess, sys, tarfile, zipfile
z = zipfile.ZipFile(sys.argv[1] + "/noarch/hello-noarch-1.0-pyh0_0.conda")
raw = subprocess.run(["zstd", "-dc"], input=z.read("info-hello-noarch-1.0-pyh0_0.tar.zst"), stdout=subprocess.PIPE).stdout
t = tarfile.open(fileobj=io.BytesIO(raw))
idx = json.load(t.extractfile("info/index.json"))
link = json.load(t.extractfile("info/link.json"))
print(idx["noarch"], json.dumps(link["noarch"]["entry_points"]))
EOF
)"

"$FX/mkchannel" "$T/channel2" >"$T/mk2.log" 2>&1 || e2e_bad "mkchannel second run" "$(tail "$T/mk2.log")"
check_eq "mkchannel output is byte-identical run to run" \
	"$(cd "$T/channel" && sha256sum */*)" "$(cd "$T/channel2" && sha256sum */* 2>&1)"

# --- python really runs from a bare prefix -------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: chroot checks need root"
else
	P=/opt/conda/envs/demo
	R=$T/rootfs
	check "scratch-install installs the demo packages" "$FX/scratch-install" "$T/channel" "$R" "$P" \
		libc-debian debian-libs python prefixdemo hello-noarch linkdemo
	if [ -e "$R/lib" ] || [ -e "$R/usr" ]; then e2e_bad "rootfs holds only the prefix"; else e2e_ok "rootfs holds only the prefix"; fi
	inroot() { unshare -m -p -f --mount-proc chroot "$R" "$@" 2>&1; }
	check_eq "python runs in a chroot holding only the prefix" "$P" \
		"$(inroot $P/bin/python -c 'import json, sys; print(sys.prefix)')"
	check_eq "site.getsitepackages() includes the prefix's site-packages" "True" \
		"$(inroot $P/bin/python -c "import site; print('$P/lib/python3.11/site-packages' in site.getsitepackages())")"
	check_eq "extension modules load their libraries from the prefix" "ok" \
		"$(inroot $P/bin/python3 -c 'import ssl, sqlite3, ctypes, lzma, bz2, zlib, pyexpat, decimal, hashlib; print("ok")')"
	check_eq "noarch entry point runs" "hello from hello_noarch (python 3.11)" "$(inroot $P/bin/hello-noarch)"
	check_eq "noarch python-scripts file runs via its text-replaced shebang" "hello-raw script" "$(inroot $P/bin/hello-raw)"
	check_eq "prefixdemo prints its rewritten binary prefix" "prefix=$P" "$(inroot $P/bin/prefixdemo | head -n1)"
	check_eq "prefixdemo reads its text-replaced conf" "conf: prefix=$P" "$(inroot $P/bin/prefixdemo | grep '^conf: prefix=')"
	check_eq "linkdemo symlink to a directory resolves" "linkdemo real file" "$(cat "$R$P/share/linkdemo/link-to-dir/real.txt")"
	check_eq "linkdemo hardlink pair shares an inode" "2" "$(stat -c %h "$R$P/share/linkdemo/hard-b.txt")"
fi

# --- hostile fixtures --------------------------------------------------------------------
check "mkchannel --bad builds" "$FX/mkchannel" --bad "$T/bad"
check_bad() {
	"$PY" - "$T/bad" <<'EOF'
import hashlib, json, os, sys, tarfile
d = sys.argv[1] + "/hostile/linux-64/"
def m(name):
    t = tarfile.open(d + name + "-1.0-0.tar.bz2")
    return [x for x in t.getmembers() if not x.name.startswith("info/")]
ok = True
ok &= m("bad-abspath")[0].name.startswith("/")
ok &= "/../" in m("bad-dotdot")[0].name
ok &= m("bad-symlink-rel")[0].issym() and m("bad-symlink-rel")[0].linkname.startswith("../../../")
ok &= m("bad-symlink-abs")[0].linkname == "/etc/passwd"
ok &= m("bad-chardev")[0].ischr()
rd = json.load(open(sys.argv[1] + "/mismatch/linux-64/repodata.json"))
for fn, rec in rd["packages"].items():
    real = hashlib.sha256(open(sys.argv[1] + "/mismatch/linux-64/" + fn, "rb").read()).hexdigest()
    ok &= real != rec["sha256"]
    ok &= os.path.getsize(sys.argv[1] + "/mismatch/linux-64/" + fn) == rec["size"]
print("hostile fixtures as promised" if ok else "hostile fixtures wrong")
sys.exit(0 if ok else 1)
EOF
}
check "hostile archives hold absolute, ../, escaping symlink, device members; mismatch channel sha256 differs" check_bad

# --- base image and registry ----------------------------------------------------------------
if command -v umoci >/dev/null && [ "$(id -u)" -eq 0 ]; then
	check "mkbase builds an OCI layout" "$FX/mkbase" "$T/base" base
	check "umoci unpacks the base" umoci unpack --image "$T/base:base" "$T/basebundle"
	check_eq "base /bin/sh runs" "hi" "$(unshare -m -p -f --mount-proc chroot "$T/basebundle/rootfs" /bin/sh -c 'echo hi' 2>&1)"
else
	echo "SKIP: mkbase checks need umoci and root"
fi
if command -v docker-registry >/dev/null && command -v curl >/dev/null; then
	port=$("$FX/registry" start "$T/reg" 2>&1)
	check_eq "registry answers /v2/ on its port" "200" \
		"$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")"
	"$FX/registry" stop "$T/reg"
	if [ -f "$T/reg/registry.pid" ]; then e2e_bad "registry stop removes the pid file"; else e2e_ok "registry stop removes the pid file"; fi
	port=$("$FX/registry" start "$T/regs" --tls --htpasswd u:p 2>&1)
	check_eq "TLS registry with htpasswd refuses anonymous, accepts the user" "401 200" \
		"$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/regs/tls/crt.pem" "https://127.0.0.1:$port/v2/") $(curl -s -o /dev/null -w '%{http_code}' -u u:p --cacert "$T/regs/tls/crt.pem" "https://127.0.0.1:$port/v2/")"
	"$FX/registry" stop "$T/regs"
else
	echo "SKIP: registry checks need docker-registry and curl"
fi

e2e_finish

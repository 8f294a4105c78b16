#!/usr/bin/env bash
# End to end, offline: the pip: section (issue 12). The conda part is the runnable fixture
# python (tests/fixtures/mkchannel), the pip part real wheels (tests/fixtures/mkwheels) served
# on loopback (tests/fixtures/pyindex): the image runs in a chroot (modules import, extension
# modules load, console scripts run, importlib.metadata sees each distribution installed by
# imgbuild); an arm64 build takes the aarch64 wheels; rebuilds are identical and a pip-only
# change rebuilds only the pip layer; each bad input is a clear error with no image written;
# --ignore-pip still works; every corpus file's pip section builds or fails clearly; --offline
# builds from the cache with the index stopped, and names what is missing when it is not cached.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_tools umoci unshare chroot jq patchelf dpkg-deb readelf
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-e2e-pip.XXXXXX)
trap '"$SRC/tests/fixtures/pyindex" stop "$T/idx" >/dev/null 2>&1; rm -rf "$T"' EXIT
export SOURCE_DATE_EPOCH=0
unset PIP_INDEX_URL PIP_EXTRA_INDEX_URL

"$SRC/tests/fixtures/mkchannel" "$T/channel" >"$T/mkchannel.log" 2>&1 ||
  { cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
"$SRC/tests/fixtures/mkwheels" "$T/wheels" >"$T/mkwheels.log" 2>&1 ||
  { tail -20 "$T/mkwheels.log"; echo "FAIL: fixture wheels could not be built"; exit 1; }
port=$("$SRC/tests/fixtures/pyindex" start "$T/wheels" "$T/idx") ||
  { echo "FAIL: fixture index did not start"; exit 1; }
IDX="http://127.0.0.1:$port/simple/"
CH="file://$T/channel"

# Small conda channels of our own: conda "six" 1.15.0 (noarch: python, with its dist-info) for
# the conda/pip tests, and a linux-aarch64 python record for the arm64 build.
python3 - "$T/extra" <<'EOF'
import hashlib, io, json, os, sys, tarfile
out = sys.argv[1]
def member(t, name, data):
    i = tarfile.TarInfo(name); i.size = len(data); i.mtime = 0; i.mode = 0o644
    t.addfile(i, io.BytesIO(data))
def package(subdir, name, version, files, noarch=None, depends=()):
    fn = "%s-%s-0.tar.bz2" % (name, version)
    idx = {"name": name, "version": version, "build": "0", "build_number": 0, "subdir": subdir,
           "depends": list(depends)}
    if noarch: idx["noarch"] = noarch
    paths = {"paths_version": 1, "paths": [{"_path": p, "path_type": "hardlink",
             "sha256": hashlib.sha256(d).hexdigest(), "size_in_bytes": len(d)} for p, d in files]}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:bz2") as t:
        member(t, "info/index.json", json.dumps(idx).encode())
        member(t, "info/paths.json", json.dumps(paths).encode())
        for p, d in files: member(t, p, d)
    data = buf.getvalue()
    os.makedirs(os.path.join(out, subdir), exist_ok=True)
    open(os.path.join(out, subdir, fn), "wb").write(data)
    rec = dict(idx, md5=hashlib.md5(data).hexdigest(), sha256=hashlib.sha256(data).hexdigest(),
               size=len(data))
    return subdir, fn, rec
recs = [package("noarch", "six", "1.15.0", [
            ("site-packages/six.py", b"# conda's six\n"),
            ("site-packages/six-1.15.0.dist-info/METADATA",
             b"Metadata-Version: 2.1\nName: six\nVersion: 1.15.0\n")],
            noarch="python", depends=["python"]),
        package("linux-aarch64", "python", "3.11.2", [("bin/python3.11", b"not run\n")])]
for sd in ("noarch", "linux-64", "linux-aarch64"):
    os.makedirs(os.path.join(out, sd), exist_ok=True)
    pk = {fn: rec for s, fn, rec in recs if s == sd}
    json.dump({"info": {"subdir": sd}, "packages": pk, "packages.conda": {}},
              open(os.path.join(out, sd, "repodata.json"), "w"))
EOF
CH2="file://$T/extra"

P=/opt/conda/envs/piptest
env_file() { # env_file NAME CONDA-DEPS... -- PIP-LINES...
  local f="$T/$1.yml"; shift
  { printf 'name: piptest\nchannels: [%s, %s]\ndependencies:\n' "$CH" "$CH2"
    while [ $# -gt 0 ] && [ "$1" != -- ]; do printf '  - %s\n' "$1"; shift; done
    [ $# -gt 0 ] && shift
    printf '  - pip:\n'
    for l in "$@"; do printf '    - %s\n' "$l"; done; } >"$f"
}
build() { "$BIN" build "$@" --cache-dir "$T/cache"; }
digest_of() { jq -r '.manifests[0].digest' "$1/index.json"; }
layers_of() { # the layer digests of the layout's image, one line
  local m; m=$(digest_of "$1"); jq -r '[.layers[].digest] | join(" ")' "$1/blobs/sha256/${m#sha256:}"
}
no_output() { if [ -e "$1" ]; then e2e_bad "no image written: $2"; else e2e_ok "no image written: $2"; fi; }

# --- the image runs -------------------------------------------------------------------------
env_file good python=3.11 -- six==1.16.0 PyYAML==6.0 'Markdown[testing]==3.4.1' 'jinja2>=3'
check "an environment with a pip section builds" build "$T/good.yml" --pypi-index "$IDX" --output "oci:$T/good.oci"
check "umoci unpacks it" umoci unpack --image "$T/good.oci:latest" "$T/bundle"
R="$T/bundle/rootfs"
check_eq "every module imports, extension modules load" "ok True" "$(run_in "$R" $P/bin/python -c '
import six, yaml, markdown, jinja2, markupsafe, coverage
from yaml import _yaml
from markupsafe import _speedups
from coverage import tracer
print("ok", yaml.__with_libyaml__)')"
check_eq "the console scripts run" "markdown_py 3.4.1 | Coverage.py, version 6.5.0 with C extension" \
  "$(run_in "$R" $P/bin/markdown_py --version) | $(run_in "$R" $P/bin/python-coverage --version | head -n 1)"
check_eq "importlib.metadata finds each distribution, INSTALLER imgbuild" \
  "Jinja2 3.1.2 imgbuild|Markdown 3.4.1 imgbuild|MarkupSafe 2.1.2 imgbuild|PyYAML 6.0 imgbuild|coverage 6.5.0 imgbuild|six 1.16.0 imgbuild" \
  "$(run_in "$R" $P/bin/python -c '
import importlib.metadata as m
print("|".join(sorted("%s %s %s" % (d.metadata["Name"], d.version, d.read_text("INSTALLER").strip())
               for d in m.distributions() if d.read_text("INSTALLER"))))')"
check_eq "REQUESTED marks the top-level requirements only" "six:True markupsafe:False" "$(run_in "$R" $P/bin/python -c '
import importlib.metadata as m
print(" ".join("%s:%s" % (n, m.distribution(n).read_text("REQUESTED") is not None) for n in ("six", "markupsafe")))')"
check "no .pyc files in the image" test -z "$(find "$R$P/lib/python3.11/site-packages" -name '*.pyc')"
check_eq "the wheels form the top layer, group pip (6 packages)" "imgbuild: layer group pip (6 packages)" \
  "$(m=$(digest_of "$T/good.oci"); c=$(jq -r .config.digest "$T/good.oci/blobs/sha256/${m#sha256:}"); jq -r '.history[-1].created_by' "$T/good.oci/blobs/sha256/${c#sha256:}")"
plan=$("$BIN" plan "$T/good.yml" --pypi-index "$IDX" --cache-dir "$T/cache" --verbose 2>/dev/null)
case "$plan" in *"pip "*"cached locally"*pyyaml-6.0-pypi_0*) e2e_ok "plan shows the pip layer and its wheels";;
  *) e2e_bad "plan shows the pip layer and its wheels" "$plan";; esac

# --- determinism; a pip-only change rebuilds only the pip layer -----------------------------
check "rebuild without the layer cache" build "$T/good.yml" --pypi-index "$IDX" --output "oci:$T/again.oci" --no-layer-cache
check_eq "rebuilding gives the identical digest" "$(digest_of "$T/good.oci")" "$(digest_of "$T/again.oci")"
env_file more python=3.11 -- six==1.16.0 PyYAML==6.0 'Markdown[testing]==3.4.1' 'jinja2>=3' idna==3.3
out=$(build "$T/more.yml" --pypi-index "$IDX" --output "oci:$T/more.oci" 2>&1)
case "$out" in *"layer cache: 1 of 2 layers reused; 7 of 10 packages"*) e2e_ok "a pip-only change reuses the conda layer";;
  *) e2e_bad "a pip-only change reuses the conda layer" "$(printf '%s\n' "$out" | tail -8)";; esac
read -r c1 p1 <<<"$(layers_of "$T/good.oci")"
read -r c2 p2 <<<"$(layers_of "$T/more.oci")"
check_eq "... the conda layer is the same blob, the pip layer another" "same other" \
  "$([ "$c1" = "$c2" ] && echo same) $([ "$p1" != "$p2" ] && echo other)"

# --- conda's distributions count as installed ----------------------------------------------
env_file sat python=3.11 six -- 'six>=1.10' idna==3.3
out=$(build "$T/sat.yml" --pypi-index "$IDX" --output "oci:$T/sat.oci" 2>&1)
case "$out" in *"pip: 1 wheel(s) to install, 1 distribution(s) already installed by conda"*) e2e_ok "a pip requirement conda satisfies installs nothing";;
  *) e2e_bad "a pip requirement conda satisfies installs nothing" "$(printf '%s\n' "$out" | tail -5)";; esac

# --- arm64: the aarch64 wheels, nothing run --------------------------------------------------
printf 'name: piptest\nchannels: [%s]\ndependencies:\n  - python=3.11\n  - pip:\n    - PyYAML==6.0\n    - six\n' "$CH2" >"$T/arm.yml"
check "--platform linux/arm64 builds" build "$T/arm.yml" --platform linux/arm64 --pypi-index "$IDX" --output "oci:$T/arm.oci"
check "umoci unpacks the arm64 image" umoci unpack --image "$T/arm.oci:latest" "$T/bundle-arm"
so=$(ls "$T/bundle-arm/rootfs$P"/lib/python3.11/site-packages/yaml/_yaml*.so 2>/dev/null | head -n 1)
check_eq "the extension module is the aarch64 wheel's" "AArch64" \
  "$(readelf -h "${so:-/dev/null}" 2>/dev/null | sed -n 's/.*Machine: *//p')"
check "the aarch64 PyYAML wheel was downloaded" grep -q "GET /files/PyYAML-6.0-cp311-cp311-manylinux_2_17_aarch64" "$T/idx/access.log"

# --- bad inputs: a clear error, no image ---------------------------------------------------
mkdir -p "$T/badlinks"
python3 - "$T/wheels/files/six-1.16.0-py2.py3-none-any.whl" "$T/badlinks/six-1.16.0-py2.py3-none-any.whl" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as a, zipfile.ZipFile(sys.argv[2], "w") as b:
    for i in a.infolist():
        d = a.read(i)
        b.writestr(i, d + b"# altered\n" if i.filename == "six.py" else d)
EOF
env_file badrecord python=3.11 -- --no-index '--find-links ./badlinks' six==1.16.0
expect_fail "a wheel whose RECORD hash is wrong" "six.py does not match its RECORD entry" \
  build "$T/badrecord.yml" --output "oci:$T/bad1.oci"
no_output "$T/bad1.oci" "wrong RECORD hash"
env_file badpin python=3.11 -- 'six==1.16.0 --hash=sha256:1111111111111111111111111111111111111111111111111111111111111111'
expect_fail "a hash-pinned requirement with another hash" "pins --hash=sha256:1111" \
  build "$T/badpin.yml" --pypi-index "$IDX" --output "oci:$T/bad2.oci"
no_output "$T/bad2.oci" "wrong pinned hash"
env_file unsat python=3.11 -- six==9.9
expect_fail "an unsatisfiable pin" "no version of six satisfies all of: six==9.9 \(.*unsat.yml:6\)" \
  build "$T/unsat.yml" --pypi-index "$IDX" --output "oci:$T/bad3.oci"
no_output "$T/bad3.oci" "unsatisfiable pin"
env_file conflict python=3.11 six -- six==1.16.0
expect_fail "a conda/pip conflict names both" "six==1.16.0 \(.*conflict.yml:7\).*six 1.15.0 is installed by conda package six-1.15.0-0" \
  build "$T/conflict.yml" --pypi-index "$IDX" --output "oci:$T/bad4.oci"
no_output "$T/bad4.oci" "conda/pip conflict"
env_file editable python=3.11 -- '-e git+https://example.org/x.git#egg=x'
expect_fail "a -e git+ line names its line and what to do" "editable.yml:6: .*build a wheel" \
  build "$T/editable.yml" --pypi-index "$IDX" --output "oci:$T/bad5.oci"
no_output "$T/bad5.oci" "-e git+"
env_file sdist python=3.11 -- colorama
expect_fail "an sdist-only package" "colorama.*only an sdist" \
  build "$T/sdist.yml" --pypi-index "$IDX" --output "oci:$T/bad6.oci"
no_output "$T/bad6.oci" "sdist only"
expect_fail "an unreachable index names the URL" "cannot fetch http://127.0.0.1:1/simple/six/" \
  build "$T/good.yml" --pypi-index http://127.0.0.1:1/simple/ --output "oci:$T/bad7.oci" --no-layer-cache
no_output "$T/bad7.oci" "unreachable index"
env_file nopython demo-data -- six
expect_fail "a pip section without a conda python" "needs python among the conda dependencies" \
  build "$T/nopython.yml" --pypi-index "$IDX" --output "oci:$T/bad8.oci"

# --- locks: conda-lock v1 pip entries, installed exactly and verified -------------------------
check "imgbuild lock writes the pip packages" "$BIN" lock "$T/good.yml" --pypi-index "$IDX" --cache-dir "$T/cache" -o "$T/lock.yml"
check_eq "... as six manager: pip entries with url and sha256" "6 6" \
  "$(grep -c 'manager: pip' "$T/lock.yml") $(grep -A8 'manager: pip' "$T/lock.yml" | grep -c 'sha256: [0-9a-f]\{64\}')"
check "build --lock installs them (fresh cache)" "$BIN" build "$T/good.yml" --lock "$T/lock.yml" --cache-dir "$T/cache-lock" --output "oci:$T/locked.oci"
check_eq "... the same image as the build that solved" "$(digest_of "$T/good.oci")" "$(digest_of "$T/locked.oci")"
check "build --lock alone (no environment file) builds" "$BIN" build --lock "$T/lock.yml" --cache-dir "$T/cache-lock" --output "oci:$T/locked2.oci"
sed 's/^\(    sha256: \)[0-9a-f]\{8\}/\1deadbeef/' "$T/lock.yml" >"$T/lock-bad.yml"
# only pip entries' hashes matter here: put the conda ones back
python3 - "$T/lock.yml" "$T/lock-bad.yml" <<'EOF2'
import sys, yaml
good, bad = (yaml.safe_load(open(f)) for f in sys.argv[1:3])
for g, b in zip(good["package"], bad["package"]):
    if g["manager"] == "conda":
        b["hash"] = g["hash"]
yaml.safe_dump(bad, open(sys.argv[2], "w"), sort_keys=False)
EOF2
expect_fail "a lock whose wheel sha256 is wrong is refused" "coverage-6.5.0-.*whl.*expected deadbeef.*damaged or was altered" \
  "$BIN" build --lock "$T/lock-bad.yml" --cache-dir "$T/cache-lock2" --output "oci:$T/bad9.oci"
no_output "$T/bad9.oci" "wrong wheel hash in the lock"
expect_fail "@EXPLICIT refuses pip packages with a clear message" "an @EXPLICIT lock cannot hold pip packages.*conda-lock YAML" \
  "$BIN" lock "$T/good.yml" --pypi-index "$IDX" --cache-dir "$T/cache" -o "$T/lock.txt"
no_output "$T/lock.txt" "@EXPLICIT lock with pip packages"
check "build --lock --ignore-pip leaves the lock's pip packages out" "$BIN" build --lock "$T/lock.yml" --ignore-pip --cache-dir "$T/cache-lock" --output "oci:$T/locked3.oci"
# (every image here also has the root filesystem layer first: docs/base-images.md)
check_eq "... one package layer" "2" "$(layers_of "$T/locked3.oci" | wc -w)"

# --- --ignore-pip ------------------------------------------------------------------------------
check "--ignore-pip builds without the pip section" build "$T/good.yml" --ignore-pip --output "oci:$T/nopip.oci"
check_eq "... into the conda layer only (and the root filesystem layer)" "2" "$(layers_of "$T/nopip.oci" | wc -w)"

# --- the corpus: each file's pip section builds or fails with a clear error --------------------
CORPUS="$SRC/../shared/corpus/envs"
[ -d "$CORPUS" ] || CORPUS=/work/shared/corpus/envs
if [ ! -d "$CORPUS" ]; then
  echo "SKIP (part): no corpus at ../shared/corpus/envs: the walk over real environment files did not run"
else
  mkdir -p "$T/corpus"
  n=$(python3 - "$CORPUS" "$T/corpus" "$CH" <<'EOF'
import os, sys, yaml
src, out, ch = sys.argv[1:4]
n = 0
for f in sorted(os.listdir(src)):
    if not f.endswith((".yml", ".yaml")):
        continue
    try:
        doc = yaml.safe_load(open(os.path.join(src, f)))
    except Exception:
        continue
    deps = doc.get("dependencies") if isinstance(doc, dict) else None
    pip = [d["pip"] for d in deps or [] if isinstance(d, dict) and "pip" in d]
    if not pip:
        continue
    body = {"name": "corpus", "channels": [ch], "dependencies": ["python=3.11", {"pip": pip[0]}]}
    with open(os.path.join(out, f), "w") as o:
        o.write("# %s: its pip section over the fixture python\n" % f)
        o.write(yaml.safe_dump(body, sort_keys=False))
    n += 1
print(n)
EOF
)
  clear='pip requirements cannot be met|never builds from source|cannot fetch|--hash=sha256|is not supported|imgbuild (reads|installs) |cannot read'
  bad=""
  for f in "$T"/corpus/*; do
    # a loopback index that lacks the packages; nothing leaves the machine (the proxy is closed)
    out=$(https_proxy=http://127.0.0.1:1 http_proxy=http://127.0.0.1:1 \
      "$BIN" build "$f" --pypi-index "$IDX" --cache-dir "$T/cache" --output "oci:$T/corpus.oci" 2>&1); rc=$?
    last=$(printf '%s\n' "$out" | tail -n 1)
    if [ $rc -eq 0 ]; then rm -rf "$T/corpus.oci"; continue; fi
    if [ $rc -ne 1 ] || ! printf '%s\n' "$last" | grep -Eq "^imgbuild: error: .*($clear)" || [ -e "$T/corpus.oci" ]; then
      bad="$bad
$(basename "$f") (exit $rc): $last"
    fi
  done
  if [ -z "$bad" ] && [ "$n" -gt 0 ]; then e2e_ok "all $n corpus files with a pip section build or fail clearly"
  else e2e_bad "all $n corpus files with a pip section build or fail clearly" "$bad"; fi
fi

# --- --offline: index pages and wheels come from the cache, the index is not asked -------------
"$SRC/tests/fixtures/pyindex" stop "$T/idx" >/dev/null 2>&1
cp -a "$T/cache" "$T/cache-nopages"; rm -rf "$T/cache-nopages/pypi/pages"
cp -a "$T/cache" "$T/cache-nofiles"; rm -rf "$T/cache-nofiles/pypi/files"
check "--offline builds with the index stopped" build "$T/good.yml" --pypi-index "$IDX" --offline --no-layer-cache --output "oci:$T/offline.oci"
check_eq "... the same image as online" "$(digest_of "$T/good.oci")" "$(digest_of "$T/offline.oci")"
expect_fail "--offline without the index pages cached names the page and the way out" \
  "${IDX}six/: not in the package index cache .*offline, nothing is fetched.*hint: run once without --offline" \
  "$BIN" build "$T/good.yml" --pypi-index "$IDX" --offline --cache-dir "$T/cache-nopages" --output "oci:$T/offline2.oci"
no_output "$T/offline2.oci" "offline, pages not cached"
expect_fail "--offline without the wheels cached names the wheel" \
  "/files/[A-Za-z0-9_.-]+\.whl: not in the download cache; offline.*hint: run once without --offline" \
  "$BIN" build "$T/good.yml" --pypi-index "$IDX" --offline --no-layer-cache --cache-dir "$T/cache-nofiles" --output "oci:$T/offline3.oci"
no_output "$T/offline3.oci" "offline, wheels not cached"

e2e_finish

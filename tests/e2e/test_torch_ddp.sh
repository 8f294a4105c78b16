#!/usr/bin/env bash
# Real binaries, end to end (issue 13): tests/fixtures/mktorch repackages Debian 12's PyTorch
# 1.13.1 (CPU, gloo) and the CUDA 11.8 runtime subset (cudart, cuBLAS, NVRTC) as a conda
# channel; imgbuild builds tests/e2e/torch/environment.yml with the default recipe (no base
# image: the fixture python runs on the environment's own loader and libc) and pushes it to
# the local registry over TLS + htpasswd. Checked:
#   - the channel: conda-forge names, versions and edges; packages rebuilt without the cache
#     come out with the same sha256
#   - the layers (each layer blob's conda-meta/, and `imgbuild plan`) hold what the recipe
#     says: python's closure in base-python, every CUDA package and file in cuda-runtime only,
#     openblas/sleef/onednn/gloo/protobuf/numpy in framework-deps, pytorch + libtorch alone in
#     frameworks
#   - two "nodes" each pull the image with skopeo into their own OCI layout, unpack it with
#     umoci and run one rank with `runc run` on the host's network: torch.distributed over
#     gloo (tcp://127.0.0.1), DistributedDataParallel, 20 SGD steps on deterministic synthetic
#     data. Both ranks end with identical parameters (equal, to float rounding, to a
#     one-process run on the whole batch: the gradients really were averaged) and report the
#     same environment fingerprint, the one the test computes from each node's conda-meta/
#   - in the image cuBLAS, cudart and NVRTC load by soname from the environment and work
#     without a GPU (versions, a kernel compiled to PTX), torch.cuda.is_available() is False,
#     every ELF file's libraries resolve inside the environment
#   - a framework bump (pytorch + libtorch repackaged with build number 1) rebuilds only the
#     frameworks layer and uploads only its blob, the config and the manifest (access log)
# TORCH_DDP_BREAK=env (node B's conda-meta altered) or TORCH_DDP_BREAK=params (rank 1 nudges
# one weight) breaks one node on purpose: the test must then fail.
# The first run downloads ~440 MB of Debian packages (README, "Real-binaries test").
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_tools skopeo umoci runc docker-registry htpasswd openssl jq curl patchelf readelf zstd \
  dpkg-deb apt-get unshare timeout python3
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
HERE="$SRC/tests/e2e/torch"
T=$(mktemp -d /tmp/imgbuild-torch.XXXXXX)
REG="$SRC/tests/fixtures/registry"
MKTORCH="$SRC/tests/fixtures/mktorch"
PREFIX=/opt/conda/envs/torch
BREAK=${TORCH_DDP_BREAK:-}
CONTAINERS=()
cleanup() {
  local c
  for c in "${CONTAINERS[@]}"; do runc delete --force "$c" >/dev/null 2>&1; done
  "$REG" stop "$T/reg"
  rm -rf "$T"
}
trap cleanup EXIT
export SOURCE_DATE_EPOCH=0
sk() { unshare -m sh -c "mount -t tmpfs tmpfs /var/lib/containers/cache 2>/dev/null || true; exec skopeo \"\$@\"" sh "$@"; }
mkdir -p /var/lib/containers/cache
secs() { echo $(( $(date +%s) - $1 )); }
# check_same NAME A B: A and B equal and not empty (two empty results never agree)
check_same() { if [ -n "$2" ] && [ "$2" = "$3" ]; then e2e_ok "$1"; else e2e_bad "$1" "A: $2
B: $3"; fi; }
# stop here when an earlier stage failed: later checks would only repeat it
stage_done() { [ "$E2E_FAIL" -eq 0 ] || { echo "stopping after a failure in: $1"; e2e_finish; exit 1; }; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# name of a package from its dist name (name-version-build; versions and builds have no '-')
dist_name() { sed -E 's/-[^-]+-[^-]+$//'; }

# --- the channel ------------------------------------------------------------------------------
t0=$(date +%s)
nice -n 10 "$MKTORCH" "$T/chan" >"$T/chan.list" 2>"$T/chan.log" ||
  { tail -20 "$T/chan.log"; echo "FAIL: mktorch could not build the channel"; exit 1; }
echo "mktorch: channel in $(secs "$t0") s ($(grep -c 'mktorch: built' "$T/chan.log") packages built, the rest from its cache)"
CH="file://$T/chan"
rd() { cat "$T/chan/linux-64/repodata.json" "$T/chan/noarch/repodata.json" | jq -s '[.[]."packages.conda" | to_entries[].value]'; }
RD=$(rd)
rec() { jq -c --arg n "$1" '[.[] | select(.name == $n)] | first' <<<"$RD"; }
check_eq "channel: the framework is Debian's PyTorch 1.13.1, CPU build" "1.13.1 cpu 1.13.1" \
  "$(rec pytorch | jq -r '.version + " " + (.build | split("_")[0])') $(rec libtorch | jq -r .version)"
check_eq "channel: conda-forge's names for the framework's libraries and python dependencies" "" \
  "$(for n in libopenblas libblas libcblas liblapack sleef onednn gloo libprotobuf glog libgcc-ng libstdcxx-ng \
      libgomp numpy typing_extensions sympy mpmath python_abi; do rec $n | jq -e .name >/dev/null || echo "missing $n"; done)"
check_eq "channel: the CUDA 11.8 subset (cudart, cuBLAS, NVRTC) and cuda-version, not the full set" \
  "cuda-version=11.8 cuda-cudart=11.8.89 libcublas=11.11.3.6 cuda-nvrtc=11.8.89 libcufft=null" \
  "$(for n in cuda-version cuda-cudart libcublas cuda-nvrtc libcufft; do printf '%s=%s ' $n "$(rec $n | jq -r .version)"; done | sed 's/ $//')"
lt_build=$(rec libtorch | jq -r .build)
check "channel: pytorch pins its libtorch build and needs numpy, typing_extensions, python_abi" \
  jq -e --arg b "libtorch 1.13.1 $lt_build" '.depends | (index($b) != null) and any(startswith("numpy >=")) and
    index("typing_extensions") != null and index("python_abi 3.11.* *_cp311") != null' <<<"$(rec pytorch)"
check "channel: libtorch's edges come from its NEEDED libraries (sleef, onednn, gloo, protobuf, blas, lapack)" \
  jq -e '[.depends[] | split(" ")[0]] as $d | ["sleef","onednn","gloo","libprotobuf","libblas","liblapack","libgomp"] - $d == []' <<<"$(rec libtorch)"
check "channel: the CUDA packages pin cuda-version, which constrains __cuda" \
  jq -e 'map(select(.name | test("^(cuda-cudart|libcublas|cuda-nvrtc)$")) | .depends | index("cuda-version >=11.8,<11.9.0a0") != null) | all' <<<"$RD"
check_eq "channel: cuda-version's constrains" '["__cuda >=11","cudatoolkit 11.8|11.8.*"]' "$(rec cuda-version | jq -c .constrains)"
# each package's sha256 is a function of the cached .debs: rebuild some without the cache
nice -n 10 "$MKTORCH" "$T/again" --no-cache --only python,numpy,sleef,cuda-cudart,pytorch >"$T/again.list" 2>"$T/again.log"
check_eq "channel: packages rebuilt without the cache have the same sha256" \
  "$(grep -E '/(python|numpy|sleef|cuda-cudart|pytorch)-[0-9]' "$T/chan.list" | sort)" "$(sort "$T/again.list")"
rm -rf "$T/again"
stage_done "the channel"

# --- plan, build, push ----------------------------------------------------------------------------
PASS='torch-Pa55-imgbuild'
P=$("$REG" start "$T/reg" --tls --htpasswd "ci:$PASS") || { echo "FAIL: registry did not start"; exit 1; }
H="127.0.0.1:$P"
mkdir -p "$T/certs" && cp "$T/reg/tls/crt.pem" "$T/certs/ca.crt"
ENV="$HERE/environment.yml"
imgbuild() { nice -n 10 "$BIN" "$@" --channel "$CH" --cache-dir "$T/cache" --ca-cert "$T/reg/tls/crt.pem" --creds "ci:$PASS"; }
"$BIN" plan "$ENV" --channel "$CH" --cache-dir "$T/cache" --verbose >"$T/plan1.out" 2>"$T/plan1.log"
check_eq "plan succeeds" 0 $?
# plan --verbose: a group row, then its packages indented -> "group name" lines
plan_pairs() { awk '/^[a-z]/ && NF >= 5 && $1 != "LAYER" {g = $1} /^    [^ ]/ {print g, $1}' "$1" |
  while read -r g d; do echo "$g $(dist_name <<<"$d")"; done | sort; }
t0=$(date +%s)
imgbuild build "$ENV" -t "$H/ml/torch:1" --metadata-file "$T/meta1.json" >"$T/build1.out" 2>"$T/build1.log"
check_eq "build and push (TLS + htpasswd)" 0 $?
echo "imgbuild: first build and push in $(secs "$t0") s"
D1=$(jq -r .digest "$T/meta1.json")
stage_done "build and push"

# --- two nodes pull the image, each into its own layout ----------------------------------------
t0=$(date +%s)
for n in a b; do
  mkdir -p "$T/node-$n"
  check "node $n: skopeo pulls the image into its own OCI layout" \
    sk copy --src-cert-dir "$T/certs" --src-creds "ci:$PASS" "docker://$H/ml/torch:1" "oci:$T/node-$n/layout:1"
  check "node $n: umoci unpacks it" umoci unpack --image "$T/node-$n/layout:1" "$T/node-$n/bundle"
  check_eq "node $n: the pulled image is the pushed one" "$D1" \
    "$(jq -r '.manifests[0].digest' "$T/node-$n/layout/index.json")"
  mkdir -p "$T/node-$n/out" "$T/node-$n/work" && cp "$HERE"/*.py "$T/node-$n/work/"
done
echo "nodes: pulled and unpacked in $(secs "$t0") s"
RA="$T/node-a/bundle/rootfs"
RB="$T/node-b/bundle/rootfs"
# no base: the environment and the root filesystem basics (docs/base-images.md)
check_eq "the image has no base: its rootfs is the environment and the root filesystem layer" \
  "etc opt root tmp" "$(ls "$RA" | paste -sd' ')"
stage_done "pulling and unpacking on the nodes"

# --- the layers against the recipe's intent ---------------------------------------------------------
L="$T/node-a/layout"
blob() { echo "$L/blobs/sha256/${1#sha256:}"; }
MF=$(jq -r '.manifests[0].digest' "$L/index.json")
CFG=$(jq -r .config.digest "$(blob "$MF")")
# layer 0 is the root filesystem layer (no base: docs/base-images.md); the groups follow
check_eq "the root filesystem layer comes first" "imgbuild: root filesystem (" \
  "$(jq -r '.history[0].created_by' "$(blob "$CFG")" | cut -c1-27)"
groups=$(jq -r '.history[1:][].created_by' "$(blob "$CFG")" | awk '{print $4}')
layers=$(jq -r '.layers[1:][].digest' "$(blob "$MF")")
check_eq "four layers, in the recipe's order (rest is empty: every package is claimed below it)" \
  "base-python cuda-runtime framework-deps frameworks" "$(echo $groups)"
: >"$T/layers.pairs"
i=0
for d in $layers; do
  i=$((i + 1)); g=$(sed -n "${i}p" <<<"$groups")
  tar -tzf "$(blob "$d")" | sed 's|^\./||' >"$T/layer-$g.files"
  grep -E "^${PREFIX#/}/conda-meta/[^/]+\.json$" "$T/layer-$g.files" | sed 's|.*/||; s|\.json$||' | dist_name |
    sed "s/^/$g /" >>"$T/layers.pairs"
  check_eq "layer $g: its history entry counts its conda-meta records" \
    "$(grep -c "^$g " "$T/layers.pairs")" "$(jq -r --arg g "$g" '.history[].created_by | select(split(" ")[3] == $g)' "$(blob "$CFG")" | grep -oE '[0-9]+ packages' | cut -d' ' -f1)"
done
sort -o "$T/layers.pairs" "$T/layers.pairs"
check_eq "each package is in exactly one layer; all 56 solved packages are there" "56 56" \
  "$(wc -l <"$T/layers.pairs") $(cut -d' ' -f2 "$T/layers.pairs" | sort -u | wc -l)"
check_eq "the layers hold what 'imgbuild plan' said" "$(plan_pairs "$T/plan1.out")" "$(cat "$T/layers.pairs")"
in_layer() { awk -v g="$1" '$1 == g {print $2}' "$T/layers.pairs" | paste -sd' '; }
layer_of() { awk -v p="$1" '$2 == p {print $1}' "$T/layers.pairs"; }
check_eq "base-python: python and what it needs" "debian-libs libc-debian python" "$(in_layer base-python)"
check_eq "cuda-runtime: the CUDA packages and nothing else" "cuda-cudart cuda-nvrtc cuda-version libcublas" "$(in_layer cuda-runtime)"
check_eq "no package named like CUDA (cuda-*, libcu*, libnv*) outside cuda-runtime" "" \
  "$(awk '$1 != "cuda-runtime" && $2 ~ /^(cuda-|libcu|libnv)/' "$T/layers.pairs")"
cuda_files='/lib/lib(cudart|cublas|cublasLt|nvrtc|nvrtc-builtins|cufft|curand|cusparse|cusolver)\.so'
check_eq "no CUDA library file outside cuda-runtime" "" \
  "$(for g in $groups; do [ "$g" = cuda-runtime ] || grep -E "$cuda_files" "$T/layer-$g.files" | sed "s/^/$g: /"; done)"
check "cuda-runtime holds libcudart, libcublas, libcublasLt, libnvrtc and its builtins" \
  test "$(grep -cE "$cuda_files" "$T/layer-cuda-runtime.files")" -ge 10
check_eq "frameworks: pytorch and libtorch alone" "libtorch pytorch" "$(in_layer frameworks)"
check_eq "the frameworks' private libraries and numpy are in framework-deps" \
  "framework-deps framework-deps framework-deps framework-deps framework-deps framework-deps framework-deps framework-deps" \
  "$(for p in libopenblas libblas sleef onednn gloo libprotobuf numpy sympy; do layer_of $p; done | paste -sd' ')"
check_eq "numpy is not in frameworks" "" "$(in_layer frameworks | tr ' ' '\n' | grep -x numpy)"

# --- distributed training: one rank per node, runc on the host's network --------------------------
# runc_config NODE ARGS...: the bundle's config (from umoci) running ARGS, no terminal, the host's
# network namespace (loopback shared between the nodes), /work (the scripts, read-only), /out
# (results) and a tmpfs /tmp; extra environment from $NODE_ENV (space-separated K=V).
runc_config() {
  local n=$1; shift
  local cfg="$T/node-$n/bundle/config.json"
  [ -f "$cfg.umoci" ] || cp "$cfg" "$cfg.umoci"
  jq --arg w "$T/node-$n/work" --arg o "$T/node-$n/out" --arg env "${NODE_ENV:-}" \
    --args '.process.terminal = false | .process.args = $ARGS.positional
      | .process.env += ["GLOO_SOCKET_IFNAME=lo"] + ($env | split(" ") | map(select(. != "")))
      | .linux.namespaces |= map(select(.type != "network"))
      | .mounts += [{destination: "/work", type: "bind", source: $w, options: ["rbind", "ro"]},
                    {destination: "/out", type: "bind", source: $o, options: ["rbind", "rw"]},
                    {destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777"]}]' \
    "$@" <"$cfg.umoci" >"$cfg"
}
# node_run NODE NAME ARGS...: runs ARGS in NODE's image (5 minutes at most); output in NODE's out/NAME.log
node_run() {
  local n=$1 name=$2 id="imgbuild-torch-$$-$1-$2"; shift 2
  runc_config "$n" "$@"
  CONTAINERS+=("$id")
  timeout 300 runc run -b "$T/node-$n/bundle" "$id" >"$T/node-$n/out/$name.log" 2>&1
}
fingerprint_of() { (cd "$1$PREFIX/conda-meta" && ls | LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum | cut -c1-64); }
if [ "$BREAK" = env ]; then
  echo "TORCH_DDP_BREAK=env: altering node b's conda-meta"; echo " " >>"$(ls "$RB$PREFIX"/conda-meta/numpy-*.json)"
fi
FA=$(fingerprint_of "$RA"); FB=$(fingerprint_of "$RB")
PORT=$(free_port)
t0=$(date +%s)
NODE_ENV="" node_run a rank0 python /work/ddp_train.py rank 0 "$PORT" /out/rank.json &
pa=$!
NODE_ENV=$([ "$BREAK" = params ] && echo IMGBUILD_TEST_BREAK_PARAMS=1) node_run b rank1 python /work/ddp_train.py rank 1 "$PORT" /out/rank.json &
pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
echo "ddp: both ranks finished in $(secs "$t0") s"
check_eq "both ranks train and exit 0" "0 0" "$ra $rb"
[ "$ra" = 0 ] || tail -5 "$T/node-a/out/rank0.log"
[ "$rb" = 0 ] || tail -5 "$T/node-b/out/rank1.log"
A="$T/node-a/out/rank.json"
B="$T/node-b/out/rank.json"
j() { jq -r "$2" "$1" 2>/dev/null; }
check_eq "ranks 0 and 1 of a world of 2, gloo backend" "0 2 gloo 1 2 gloo" \
  "$(j "$A" '"\(.rank) \(.world_size) \(.backend)"') $(j "$B" '"\(.rank) \(.world_size) \(.backend)"')"
check "the ranks started from different weights (so DDP's broadcast mattered)" \
  test "$(j "$A" .own_initial_sha256)" != "$(j "$B" .own_initial_sha256)"
check_same "after DDP's broadcast both start from rank 0's weights" "$(j "$A" .initial_sha256)" "$(j "$B" .initial_sha256)"
check_same "each rank reports its node's environment fingerprint (sha256 over conda-meta/)" "$FA $FB" \
  "$(j "$A" .fingerprint) $(j "$B" .fingerprint)"
check_same "both nodes run the identical environment" "$(j "$A" .fingerprint)" "$(j "$B" .fingerprint)"
check_same "both ranks end with identical parameters (sha256 of the float32 bytes)" "$(j "$A" .final_sha256)" "$(j "$B" .final_sha256)"
# the values themselves (JSON of the exact float32 values), by digest; nothing if unreadable
values_of() { local v; v=$(jq -ce '.final | select(length > 0)' "$1" 2>/dev/null) && printf '%s' "$v" | sha256sum | cut -c1-64; }
check_same "... and identical values" "$(values_of "$A")" "$(values_of "$B")"
check "training changed the parameters and lowered each rank's loss" \
  jq -e -s '.[0].final_sha256 != .[0].initial_sha256 and all(.[]; .losses[-1] < .losses[0])' "$A" "$B"
node_run a reference python /work/ddp_train.py reference /out/reference.json
check_eq "the one-process run on the whole batch runs" 0 $?
check "DDP's parameters equal the one-process run's to float rounding (gradients averaged)" \
  python3 -c 'import json, sys
a, r = (json.load(open(f)) for f in sys.argv[1:])
assert a["initial_sha256"] == r["initial_sha256"], "different starting weights"
d = max(abs(x - y) for p, q in zip(a["final"], r["final"]) for x, y in zip(p, q))
print("max |difference|", d); assert d < 1e-5, d' "$A" "$T/node-a/out/reference.json"

# --- CUDA runtime libraries in the image, no GPU -----------------------------------------------------
node_run a cuda python /work/cuda_check.py
check_eq "the CUDA check runs" 0 $?
C=$(sed -n '/^{/,$p' "$T/node-a/out/cuda.log")
check_eq "cuBLAS 11.11.3 loads by soname and reports its version" "[[0,11],[0,11],[0,3]]" "$(jq -c .cublasGetProperty <<<"$C")"
check_eq "NVRTC 11.8 compiles a kernel to PTX (loading its builtins itself)" "[0,11,8] [0,0,0] true" \
  "$(jq -c .nvrtcVersion <<<"$C") $(jq -c .nvrtc_rc <<<"$C") $(jq -c .ptx_has_kernel <<<"$C")"
check_eq "cudart loads; without a driver it says so instead of failing" "true" "$(jq '.cudaGetDeviceCount_rc != 0' <<<"$C")"
check_eq "torch.cuda.is_available() is False, no device, no error" "false 0" \
  "$(jq -r '"\(.torch_cuda_available) \(.torch_cuda_device_count)"' <<<"$C")"
check_eq "libcublas, libcublasLt, libcudart, libnvrtc(-builtins) and libgcc_s are the environment's" \
  "libcublas libcublasLt libcudart libgcc_s libnvrtc libnvrtc-builtins" \
  "$(jq -r --arg p "$PREFIX/lib/" '.mapped[] | select(startswith($p)) | ltrimstr($p) | select(test("^lib(cublas|cudart|nvrtc|gcc_s)")) | split(".so")[0]' <<<"$C" | sort -u | paste -sd' ')"
check_eq "every shared object in the process comes from the environment" "true 0" \
  "$(jq -r --arg p "$PREFIX/" '"\(.mapped | length > 300) \([.mapped[] | select(startswith($p) | not)] | length)"' <<<"$C")"
# mkchannel's python lacks libdb and libnsl (its _dbm and nis modules): known, allowed
node_run a resolve python /work/resolve_check.py libdb-5.3.so libnsl.so.2
R=$(sed -n '/^{/,$p' "$T/node-a/out/resolve.log")
check_eq "every ELF file of the environment finds its libraries inside it" "true 0" \
  "$(jq -r '"\(.checked > 500) \(.problems | length)"' <<<"$R")"
[ "$(jq '.problems | length' <<<"$R" 2>/dev/null)" = 0 ] || jq -r '.problems[:10][]' <<<"$R"
rm -rf "$T/node-b"   # ~2 GB

# --- a framework bump rebuilds and pushes only the frameworks layer -----------------------------------
nice -n 10 "$MKTORCH" "$T/chan" --framework-build 1 >"$T/chan2.list" 2>"$T/chan2.log" ||
  { tail -20 "$T/chan2.log"; echo "FAIL: mktorch --framework-build 1"; exit 1; }
RD=$(rd)
# "subdir/name-version-build.conda sha256 size" lines of both channels: what changed
check_eq "bumped channel: only libtorch and pytorch changed" "libtorch pytorch" \
  "$(comm -3 <(sort "$T/chan.list") <(sort "$T/chan2.list") | awk '{print $1}' | sed 's|.*/||; s/\.conda$//' | dist_name | sort -u | paste -sd' ')"
check_eq "... now with build number 1; no build 0 left in the channel" "1 1 0" \
  "$(rec libtorch | jq -r .build_number) $(rec pytorch | jq -r .build_number) $(jq '[.[] | select(.name == "pytorch" and .build_number == 0)] | length' <<<"$RD")"
"$BIN" plan "$ENV" --channel "$CH" --cache-dir "$T/cache" >"$T/plan2.out" 2>"$T/plan2.log"
check_eq "plan after the bump: only frameworks to build" \
  "base-python cached|cuda-runtime cached|framework-deps cached|frameworks to" \
  "$(awk '/^[a-z]/ && NF >= 5 && $1 != "LAYER" {print $1, $5}' "$T/plan2.out" | paste -sd'|')"
mark=$(wc -l <"$T/reg/registry.log")
t0=$(date +%s)
# (no SBOM or provenance on this push: the counts below are of the image's own blobs and
# manifests; the attachments are tested in test_sbom.sh)
imgbuild build "$ENV" -t "$H/ml/torch:2" --sbom none --provenance none --metadata-file "$T/meta2.json" >"$T/build2.out" 2>"$T/build2.log"
check_eq "rebuild and push" 0 $?
echo "imgbuild: rebuild and push in $(secs "$t0") s"
check "the build reuses three layers and installs only the two framework packages" \
  grep -q "layer cache: 3 of 4 layers reused; 2 of 56 packages to fetch and install" "$T/build2.log"
# the package layers (a root filesystem layer, when the base lacks one, is listed first as rootfs)
l1=$(jq -r '.layers[] | select(.group != "rootfs") | .digest' "$T/meta1.json")
l2=$(jq -r '.layers[] | select(.group != "rootfs") | .digest' "$T/meta2.json")
check_eq "base-python, cuda-runtime, framework-deps: the same blobs" "$(head -3 <<<"$l1")" "$(head -3 <<<"$l2")"
check "frameworks: a new blob" test "$(sed -n 4p <<<"$l1")" != "$(sed -n 4p <<<"$l2")"
fw=$(jq -r '.layers[] | select(.group == "frameworks") | .digest' "$T/meta2.json" | cut -d: -f2)
cfg2=$(curl -sf --cacert "$T/reg/tls/crt.pem" -u "ci:$PASS" -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "https://$H/v2/ml/torch/manifests/2" | jq -r .config.digest | cut -d: -f2)
log2() { tail -n +"$((mark + 1))" "$T/reg/registry.log"; }
# finished uploads (PUT .../blobs/uploads/<id>?...digest=) and every PATCH, by upload id
puts=$(log2 | grep -oE '"PUT /v2/[^ ]*/blobs/uploads/[^ ]*digest=sha256(%3A|:)[0-9a-f]{64}' | grep -oE '[0-9a-f]{64}$' | sort)
check_eq "uploaded blobs: the frameworks layer and the config, once each" "$(printf '%s\n' "$fw" "$cfg2" | sort)" "$puts"
up_ids() { grep -oE "\"$1 /v2/ml/torch/blobs/uploads/[^ ?\"]+" | sed 's|.*/||' | sort -u; }
fw_id=$(log2 | grep -E "\"PUT /v2/ml/torch/blobs/uploads/[^ ]*digest=sha256(%3A|:)$fw" | up_ids PUT)
fw_bytes=$(jq -r '.layers[] | select(.group == "frameworks") | .size' "$T/meta2.json")
npatch=$(log2 | grep -cE '"PATCH /v2/ml/torch/blobs/uploads/')
# blobs above 32 MiB go up in PATCH chunks (README, Registries)
check_eq "the frameworks layer ($fw_bytes bytes) went up in PATCH chunks; no other PATCH" \
  "$([ "$fw_bytes" -gt $((32 << 20)) ] && echo chunked || echo single) " \
  "$([ "$npatch" -gt 0 ] && echo chunked || echo single) $(comm -23 <(log2 | up_ids PATCH) <(printf '%s\n' $fw_id | sort -u))"
check_eq "one manifest PUT, no mount" "1 0" \
  "$(log2 | grep -cE '"PUT /v2/ml/torch/manifests/' ) $(log2 | grep -cE '"POST /v2/[^ ]*/blobs/uploads/\?mount=')"

e2e_finish

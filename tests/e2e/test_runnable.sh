#!/usr/bin/env bash
# Issue 11, "Done means" 1: an image that runs where users run it. A conda-forge-style binary
# (mkchannel --glibc-apps: hello, PT_INTERP the plain /lib64/ld-linux-x86-64.so.2, depends
# "__glibc >=2.17") built without --base fails, naming the package and suggesting --base.
# Built on the fixture base (mkbase: busybox + Debian's glibc, its own /etc/passwd) with the
# image config flags, it runs under `runc run` (umoci bundle) and `podman run` (the
# containers.conf of ../shared/TESTING.md) as the non-root --user, in --workdir, with
# --entrypoint/--cmd and --env; python's pwd, tempfile and the CA bundle work in it; the
# labels and annotations are what `skopeo inspect` shows.
set -u
. "$(dirname "$0")/lib.sh"
e2e_need_root
e2e_need_tools skopeo umoci runc podman jq unshare
BIN=${IMGBUILD_BIN:?}
SRC=${IMGBUILD_SRC:?}
T=$(mktemp -d /tmp/imgbuild-runnable.XXXXXX)
LC=/tmp/imgbuild-runnable-$$ # podman names an oci: image by its path, which must be lower case
trap 'rm -rf "$T" "$LC"' EXIT
export SOURCE_DATE_EPOCH=0
# the CI's variables would become labels: this test names its own
unset GITHUB_SERVER_URL GITHUB_REPOSITORY GITHUB_SHA CI_PROJECT_URL CI_COMMIT_SHA

FX="$SRC/tests/fixtures"
"$FX/mkchannel" --glibc-apps "$T/channel" >"$T/mkchannel.log" 2>&1 ||
	{ cat "$T/mkchannel.log"; echo "FAIL: fixture channel could not be built"; exit 1; }
"$FX/mkbase" "$T/base" base >"$T/mkbase.log" 2>&1 ||
	{ cat "$T/mkbase.log"; echo "FAIL: fixture base image could not be built"; exit 1; }
mkdir -p /var/lib/containers/cache # skopeo's blob-info cache stays out of the test (TESTING.md)
isolated() { unshare -m sh -c 'mount -t tmpfs tmpfs /var/lib/containers/cache && exec "$@"' sh "$@"; }

P=/opt/conda/envs/run
printf 'name: run\nchannels: [file://%s]\ndependencies:\n  - python\n  - hello\n  - ca-certificates\n' \
	"$T/channel" >"$T/run.yml"
build() { "$BIN" build "$T/run.yml" --cache-dir "$T/cache" "$@"; }

# --- without --base -------------------------------------------------------------------------
expect_fail "without --base the build fails naming hello and suggesting --base" \
	"error: package hello \(bin/hello\) needs the system loader /lib64/ld-linux-x86-64.so.2, which no base image provides
imgbuild: hint: pass a glibc-based --base such as docker.io/library/debian:bookworm-slim@sha256:" \
	build --output "oci:$T/none.oci" -t none:1
check "and writes no image" test ! -e "$T/none.oci"

# --- on the fixture base, with the image config flags ---------------------------------------
# The probe: who and where it runs, its environment, tempfile, the CA bundle at Debian's path
# (what OpenSSL, curl and Go look at first), and hello, the glibc program.
cat >"$T/probe.py" <<'EOF'
import os, pwd, ssl, subprocess, sys, tempfile
p = pwd.getpwuid(os.getuid())
print("user", "%d:%d" % (os.getuid(), os.getgid()), p.pw_name)
print("cwd", os.getcwd())
print("env", os.environ.get("GREETING"), os.environ.get("CONDA_PREFIX"))
with tempfile.NamedTemporaryFile() as f:
    f.write(b"x")
    print("tempfile", tempfile.gettempdir())
ca = ssl.get_default_verify_paths().cafile  # SSL_CERT_FILE (--env) names Debian's path
n = ssl.create_default_context().cert_store_stats()["x509_ca"]
print("ca", ca, os.access(ca, os.R_OK), n > 100, os.path.realpath(ca))
print("hello", subprocess.run(["hello"], capture_output=True, text=True).stdout.strip())
print("args", sys.argv[1:])
EOF
probe=$(python3 -c 'import json, sys; print(json.dumps(["-c", open(sys.argv[1]).read(), "a b"], separators=(",", ":")))' "$T/probe.py")
L="$T/run.oci"
check "builds on the fixture base with --user, --workdir, --entrypoint, --cmd, --env, labels" \
	build --base "oci:$T/base:base" --output "oci:$L" -t team/run:1 \
	--user 65534:65534 --workdir /tmp --entrypoint "[\"$P/bin/python\"]" --cmd "$probe" \
	--env GREETING=hi --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt --label org.example.team=ml --label org.opencontainers.image.title=runner \
	--annotation org.example.note=reviewed --source https://example.com/team/run --revision 0123abc

want="user 65534:65534 nobody
cwd /tmp
env hi $P
tempfile /tmp
ca /etc/ssl/certs/ca-certificates.crt True True $P/ssl/cacert.pem
hello Hello, world!
args ['a b']"

cfg=$(isolated skopeo inspect --config "oci:$L:1")
check_eq "config User is the numeric --user" "65534:65534" "$(jq -r .config.User <<<"$cfg")"
check_eq "config WorkingDir" "/tmp" "$(jq -r .config.WorkingDir <<<"$cfg")"
check_eq "config Entrypoint is the JSON array" "[\"$P/bin/python\"]" "$(jq -c .config.Entrypoint <<<"$cfg")"
check_eq "config Cmd is --cmd's array" "$probe" "$(jq -c .config.Cmd <<<"$cfg")"
check_eq "--env comes after the environment's variables" "PATH CONDA_PREFIX CONDA_DEFAULT_ENV GREETING=hi SSL_CERT_FILE" \
	"$(jq -r '[.config.Env[] | if startswith("GREETING=") then . else split("=")[0] end] | join(" ")' <<<"$cfg")"
check_eq "labels: --label, the standard ones, imgbuild's" \
	"ml runner https://example.com/team/run 0123abc 1970-01-01T00:00:00Z /opt/conda/envs/run" \
	"$(jq -r '.config.Labels | [.["org.example.team"], .["org.opencontainers.image.title"], .["org.opencontainers.image.source"], .["org.opencontainers.image.revision"], .["org.opencontainers.image.created"], .["io.imgbuild.prefix"]] | join(" ")' <<<"$cfg")"
man=$(isolated skopeo inspect --raw "oci:$L:1")
check_eq "manifest annotations: --annotation and the standard ones" \
	"reviewed https://example.com/team/run 0123abc 1970-01-01T00:00:00Z" \
	"$(jq -r '.annotations | [.["org.example.note"], .["org.opencontainers.image.source"], .["org.opencontainers.image.revision"], .["org.opencontainers.image.created"]] | join(" ")' <<<"$man")"
n_base=$(jq '.layers | length' "$T/base/blobs/sha256/$(jq -r '.manifests[0].digest' "$T/base/index.json" | cut -d: -f2)")
check_eq "the root filesystem layer comes right after the base's" \
	"imgbuild: root filesystem (etc/nsswitch.conf etc/ssl/ etc/ssl/certs/ etc/ssl/certs/ca-certificates.crt)" \
	"$(jq -r --argjson n "$n_base" '[.history[] | select(.empty_layer != true)][$n].created_by' <<<"$cfg")"
check_eq "one history entry per layer" "$(jq '.rootfs.diff_ids | length' <<<"$cfg")" \
	"$(jq '[.history[] | select(.empty_layer != true)] | length' <<<"$cfg")"

# --- runc run (umoci bundle) ----------------------------------------------------------------
B="$T/bundle"
check "umoci unpacks it" umoci unpack --image "$L:1" "$B"
jq '.process.terminal = false' "$B/config.json" >"$B/config.tmp" && mv "$B/config.tmp" "$B/config.json"
check_eq "the bundle runs the image's user and workdir" "65534 65534 /tmp" \
	"$(jq -r '[.process.user.uid, .process.user.gid, .process.cwd] | join(" ")' "$B/config.json")"
out=$(runc run -b "$B" "imgbuild-runnable-$$" 2>&1)
runc delete -f "imgbuild-runnable-$$" >/dev/null 2>&1
check_eq "runc run: pwd, tempfile, CA bundle and hello work as the non-root user" "$want" "$out"

# --- podman run -----------------------------------------------------------------------------
PM="$T/podman"
mkdir -p "$PM"
printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]\nnetns = "none"\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nruntime = "runc"\n' >"$PM/containers.conf"
printf '[storage]\ndriver = "vfs"\nrunroot = "%s/run"\ngraphroot = "%s/root"\n' "$PM" "$PM" >"$PM/storage.conf"
pm() { CONTAINERS_CONF="$PM/containers.conf" CONTAINERS_STORAGE_CONF="$PM/storage.conf" TMPDIR="$PM" isolated podman "$@"; }
mkdir -p "$LC" && ln -s "$L" "$LC/run.oci"
check "podman pulls the layout" pm pull -q "oci:$LC/run.oci:1"
id=$(pm images -q | head -n1)
check_eq "podman run: the same, as the image's user" "$want" "$(pm run --rm "$id" 2>&1)"
check_eq "podman run --env overrides --env's default" "env bye $P" \
	"$(pm run --rm -e GREETING=bye "$id" 2>&1 | grep '^env ')"
check_eq "podman inspect shows the labels" "ml" \
	"$(pm image inspect "$id" --format '{{index .Labels "org.example.team"}}')"
pm rmi -a -f >/dev/null 2>&1

# --- a multi-platform build: the image index carries the annotations too -------------------
printf 'name: tiny\nchannels: [file://%s]\ndependencies:\n  - demo-data\n' "$T/channel" >"$T/tiny.yml"
check "a two-platform build with --annotation" "$BIN" build "$T/tiny.yml" --cache-dir "$T/cache" \
	--platform linux/amd64,linux/arm64 --annotation org.example.note=both --revision r1 \
	--output "oci:$T/multi.oci" -t m:1
blob() { cat "$T/multi.oci/blobs/sha256/${1#sha256:}"; }
idx=$(blob "$(jq -r '.manifests[0].digest' "$T/multi.oci/index.json")")
check_eq "the image index: --annotation, --revision and created" "both r1 1970-01-01T00:00:00Z" \
	"$(jq -r '.annotations | [.["org.example.note"], .["org.opencontainers.image.revision"], .["org.opencontainers.image.created"]] | join(" ")' <<<"$idx")"
check_eq "and each platform's manifest the same" "both both" \
	"$(for d in $(jq -r '.manifests[].digest' <<<"$idx"); do blob "$d" | jq -r '.annotations["org.example.note"]'; done | paste -sd' ')"

# --- the flags' defaults, and bad values ----------------------------------------------------
check "without the config flags it builds on the base" build --base "oci:$T/base:base" --output "oci:$T/plain.oci" -t p:1
cfg=$(isolated skopeo inspect --config "oci:$T/plain.oci:1")
check_eq "default: Cmd is the environment's python, no User, no WorkingDir" "[\"$P/bin/python\"] null null" \
	"$(jq -r '[.config.Cmd, .config.User, .config.WorkingDir] | map(tojson) | join(" ")' <<<"$cfg")"
check "--entrypoint without --cmd drops the default Cmd" build --base "oci:$T/base:base" --output "oci:$T/ep.oci" -t e:1 \
	--entrypoint "$P/bin/hello"
check_eq "Entrypoint is the one program, Cmd is gone" "[\"$P/bin/hello\"] null" \
	"$(isolated skopeo inspect --config "oci:$T/ep.oci:1" | jq -r '[.config.Entrypoint, .config.Cmd] | map(tojson) | join(" ")')"
expect_fail "--label without '=' fails naming the flag" "imgbuild build: --label team: expected KEY=VALUE" \
	build --label team --output "oci:$T/bad.oci"
expect_fail "--entrypoint with invalid JSON fails naming the flag" "imgbuild build: --entrypoint \[\"a\": not a JSON array" \
	build --entrypoint '["a"' --output "oci:$T/bad.oci"
expect_fail "--user with a bad name fails naming the flag" "--user: image user 'Bad:x'" \
	build --user Bad:x --output "oci:$T/bad.oci"
check "and nothing was written" test ! -e "$T/bad.oci"

e2e_finish

#!/usr/bin/env bash
# tests/fuzz/run.sh — builds the libFuzzer harnesses (clang, ASan + UBSan, build-fuzz/) and
# runs each one for SECONDS, one after another, under nice. Seeds: tests/fuzz/seeds/<harness>
# plus seeds derived at run time from ../shared/corpus (tests/fuzz/shared_seeds.py; nothing is
# copied into the tree). The corpus each run grows is kept in build-fuzz/fuzz-corpus/, so later
# runs start where earlier ones stopped. Any crash, leak, timeout or out-of-memory report fails
# the run, naming the saved input (build-fuzz/fuzz-artifacts/) and the log.
#
#   tests/fuzz/run.sh [-b BUILD_DIR] SECONDS [HARNESS...]    (HARNESS: envspec, lock, ...)
# Exit: 0 all clean, 1 a finding or a build failure, 77 clang's fuzzer runtime is missing.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build="$top/build-fuzz"
if [ "${1:-}" = "-b" ]; then
	build=$2
	shift 2
fi
seconds=${1:?usage: tests/fuzz/run.sh [-b BUILD_DIR] SECONDS [HARNESS...]}
shift
harnesses=${*:-"envspec matchspec repodata shard lock ref auth registry pkg"}

# Per harness: the largest input worth trying (bigger seeds are cut).
max_len() {
	case $1 in
	matchspec | ref) echo 4096 ;;
	auth | envspec | lock | shard | registry) echo 65536 ;;
	repodata | pkg) echo 131072 ;;
	*) echo 65536 ;;
	esac
}

# The runtime is Debian's libclang-rt-14-dev (.ci/bootstrap installs it).
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){(void)d;(void)n;return 0;}\n' \
	>"$probe/p.c"
if ! command -v clang >/dev/null || ! clang -fsanitize=fuzzer,address,undefined "$probe/p.c" \
	-o "$probe/p" 2>/dev/null; then
	echo "fuzz: SKIPPED: clang or its libFuzzer runtime is missing (Debian: apt-get install" \
		"clang libclang-rt-14-dev; .ci/bootstrap does)"
	exit 77
fi

echo "fuzz: building harnesses in $build"
CC=clang nice -n 10 cmake -S "$top" -B "$build" -DIMGBUILD_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	>/dev/null
if ! nice -n 10 cmake --build "$build" -j"$(nproc)" >"$build/fuzz-build.log" 2>&1; then
	grep -E 'error|warning' "$build/fuzz-build.log" | head -20
	echo "fuzz: build failed (log: $build/fuzz-build.log)"
	exit 1
fi

shared_seeds="$build/fuzz-shared-seeds"
rm -rf "$shared_seeds"
python3 "$top/tests/fuzz/shared_seeds.py" "$top/../shared/corpus" "$shared_seeds"
[ -d "$top/../shared/corpus" ] || echo "fuzz: ../shared/corpus absent: hand-written seeds only"

# fsync is free on tmpfs: the package and layout harnesses write many small files.
scratch=${TMPDIR:-/tmp}
if [ -d /dev/shm ] && [ -w /dev/shm ]; then scratch=/dev/shm; fi

mkdir -p "$build/fuzz-corpus" "$build/fuzz-artifacts" "$build/fuzz-logs"
failed=""
printf '%-10s %8s %10s %9s %6s %7s %9s\n' harness seconds execs exec/s cov ft corpus
for h in $harnesses; do
	bin="$build/tests/fuzz/fuzz_$h"
	[ -x "$bin" ] || { echo "fuzz: no harness fuzz_$h"; failed="$failed $h"; continue; }
	corpus="$build/fuzz-corpus/$h"
	log="$build/fuzz-logs/$h.log"
	mkdir -p "$corpus"
	dirs=("$corpus")
	for d in "$top/tests/fuzz/seeds/$h" "$shared_seeds/$h"; do
		[ -d "$d" ] && dirs+=("$d")
	done
	rc=0
	TMPDIR=$scratch nice -n 10 "$bin" -max_total_time="$seconds" -max_len="$(max_len "$h")" \
		-timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$build/fuzz-artifacts/$h-" "${dirs[@]}" >"$log" 2>&1 || rc=$?
	done_line=$(grep -a 'DONE ' "$log" | tail -n 1 || true)
	execs=$(grep -a 'stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
	speed=$(grep -a 'stat::average_exec_per_sec' "$log" | awk '{print $2}' || true)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")
	printf '%-10s %8s %10s %9s %6s %7s %9s\n' "$h" "$seconds" "${execs:-?}" "${speed:-?}" \
		"${cov:-?}" "${ft:-?}" "$(find "$corpus" -type f | wc -l)"
	if [ "$rc" != 0 ]; then
		echo "fuzz: fuzz_$h FAILED (libFuzzer exit $rc); log: $log"
		grep -a -E 'fuzz property violated|ERROR: |SUMMARY:|Test unit written' "$log" | head -8
		failed="$failed $h"
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: findings in:$failed (inputs in $build/fuzz-artifacts/; reproduce with" \
		"$build/tests/fuzz/fuzz_<harness> <input>)"
	exit 1
fi
echo "fuzz: all harnesses clean"

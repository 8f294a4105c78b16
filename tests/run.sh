#!/usr/bin/env bash
# Builds imgbuild with warnings as errors and runs every test (unit + end-to-end) through
# CTest, then the unit tests again under ASan + UBSan, then every libFuzzer harness for a
# short bounded time (tests/fuzz/run.sh; FUZZ_SECONDS each, default 15). Assumes
# .ci/bootstrap has run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

echo "== banned functions (curl's checksrc list)"
if grep -nE '\b(sprintf|strcpy|strcat|strncpy|strtok|sscanf|atoi|gets)\s*\(' \
    common/*.[ch] builder/*.[ch] conda/*.[ch] pypi/*.[ch] pkg/*.[ch] layers/*.[ch] oci/*.[ch] tests/unit/*.c tests/unit/helpers/*.[ch] tests/fuzz/*.[ch] 2>/dev/null \
    | grep -vE '\b(v?snprintf)\s*\('; then
  echo "error: banned function used (see CONVENTIONS.md §14)"; exit 1
fi

echo "== formatting (.clang-format, CONVENTIONS.md §15)"
# Every C file of the tree as clang-format (Debian 12's, version 14) writes it, so diffs show
# only meaning. Fix with: clang-format -i FILE
unformatted=""
for f in $(ls common/*.[ch] builder/*.[ch] conda/*.[ch] pypi/*.[ch] pkg/*.[ch] layers/*.[ch] \
    oci/*.[ch] tests/unit/*.[ch] tests/unit/helpers/*.[ch] tests/fuzz/*.[ch] bench/*.c 2>/dev/null); do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || unformatted="$unformatted $f"
done
if [ -n "$unformatted" ]; then echo "error: not formatted (run clang-format -i):$unformatted"; exit 1; fi

echo "== function length (CONVENTIONS.md §2: over ~80 lines usually hides a second job)"
# Lines between a column-0 '{' and its '}'; prints FILE:FUNCTION:LINES for each one too long.
python3 tests/tools/funclen.py --max 80 common/*.c builder/*.c conda/*.c pypi/*.c pkg/*.c \
    layers/*.c oci/*.c || { echo "error: function over 80 lines (split it into named helpers)"; exit 1; }

echo "== module edges (README, Layout): private headers stay in their module"
# Link edges make a wrong public include fail to compile; private headers (*_int.h,
# *_internal.h) sit in the same directory, so this check keeps them there (unit tests may
# include their own module's).
bad=""
for h in $(cd "$top" && ls */*_int.h */*_internal.h 2>/dev/null); do
  mod=${h%%/*}; name=${h##*/}
  users=$(grep -lE "#include \"$name\"" common/*.[ch] builder/*.[ch] conda/*.[ch] pypi/*.[ch] pkg/*.[ch] \
    layers/*.[ch] oci/*.[ch] 2>/dev/null | grep -v "^$mod/" || true)
  [ -z "$users" ] || bad="$bad $name<-($users)"
done
if [ -n "$bad" ]; then echo "error: private header used outside its module:$bad"; exit 1; fi

jobs=$(nproc)
echo "== build (-Werror)"
cmake -S . -B build -DIMGBUILD_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs" 2>&1 | grep -vE '^\[ *[0-9]+%\]' || true
test -x build/imgbuild || { echo "error: build failed"; exit 1; }

echo "== unit tests under ASan + UBSan"
cmake -S . -B build-asan -DIMGBUILD_WERROR=ON -DIMGBUILD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs" 2>&1 | grep -vE '^\[ *[0-9]+%\]' || true
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  ctest -R '^unit/' --output-on-failure -j"$jobs")

echo "== all tests"
cd build
ctest --output-on-failure
cd "$top"

echo "== fuzz: each harness ${FUZZ_SECONDS:-15} s under ASan + UBSan (tests/fuzz/run.sh)"
rc=0
bash tests/fuzz/run.sh "${FUZZ_SECONDS:-15}" || rc=$?
if [ "$rc" = 77 ]; then
  echo "warning: fuzz step skipped (clang's fuzzer runtime is missing; .ci/bootstrap installs it)"
elif [ "$rc" != 0 ]; then
  echo "error: the fuzzers found something (see above)"; exit 1
fi

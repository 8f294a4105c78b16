# shellcheck shell=bash
# bench/lib.sh — helpers shared by the bench scripts (sourced, not run).
#   bench_bin DIR        the imgbuild to measure: $IMGBUILD_BIN if set (built by bench/run_all.sh
#                        once), else a RelWithDebInfo build in DIR (configured and built here)
#   bench_median         median of the numbers on stdin (one per line)
#   bench_wall FILE      wall seconds from a /usr/bin/time -v report
#   bench_rss_mb FILE    peak RSS in MB from a /usr/bin/time -v report
#   bench_settle         waits before a cold command that creates many files (see below)
#   bench_drop_section HEAD   removes that section
#   bench_write_section HEAD REPORT   replaces the BENCHMARKS.md section starting with HEAD
#                        (up to the next "## ") by REPORT's text, or appends it; others kept
bench_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

bench_bin() {
  if [ -n "${IMGBUILD_BIN:-}" ]; then
    [ -x "$IMGBUILD_BIN" ] || { echo "bench: IMGBUILD_BIN=$IMGBUILD_BIN is not executable" >&2; return 1; }
    echo "$IMGBUILD_BIN"
    return
  fi
  cmake -S "$bench_top" -B "$bench_top/$1" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$bench_top/$1" -j"$(nproc)" >/dev/null
  echo "$bench_top/$1/imgbuild"
}
# ext4 without a journal (this VM's root) will not reuse an inode freed less than 60 s ago, nor
# one freed less than 360 s ago while its inode-table block is still dirty (fs/ext4/ialloc.c,
# recently_deleted: RECENTCY_MIN 60, RECENTCY_DIRTY 300), and every allocation walks past such
# inodes: creating 50k files right after deleting as many costs several times the kernel time.
# So each cold timed command starts after a sync (the blocks clean) and BENCH_SETTLE s (default
# 65) after the last mass deletion. Measured on the 3.3 GB synthetic build: 35 s without a sync
# gave 73.8 s (35.6 s of system time), a sync and 65 s gave 50.8 s (16.3 s).
bench_settle() { sync; sleep "${BENCH_SETTLE:-65}"; }
bench_median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
bench_wall() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$1"; }
bench_rss_mb() { awk -F': ' '/Maximum resident set size/ {printf "%.0f\n", $2/1024}' "$1"; }
bench_write_section() {
  local bm="$bench_top/BENCHMARKS.md"
  [ -f "$bm" ] || printf '# Benchmarks\n\nNumbers come from the scripts in bench/; each section names its command.\n\n' >"$bm"
  python3 - "$bm" "$1" "$2" <<'PY'
import sys, re
bm, head, rep = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
text = open(bm).read()
pat = re.compile(r"^" + re.escape(head) + r".*?(?=^## |\Z)", re.S | re.M)
if pat.search(text):
    text = pat.sub(lambda m: rep.rstrip() + "\n\n", text, count=1).rstrip() + "\n"
else:
    text = text.rstrip() + "\n\n" + rep
open(bm, "w").write(text)
PY
}
# bench_drop_section HEAD: removes that section of BENCHMARKS.md (if there)
bench_drop_section() {
  python3 - "$bench_top/BENCHMARKS.md" "$1" <<'PY'
import sys, re
bm, head = sys.argv[1], sys.argv[2]
text = open(bm).read()
text = re.sub(r"^" + re.escape(head) + r".*?(?=^## |\Z)", "", text, count=1, flags=re.S | re.M).rstrip() + "\n"
open(bm, "w").write(text)
PY
}

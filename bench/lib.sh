# shellcheck shell=bash
# bench/lib.sh — helpers shared by the bench scripts (sourced, not run).
#   bench_bin DIR        the imgbuild to measure: $IMGBUILD_BIN if set (built by bench/run_all.sh
#                        once), else a RelWithDebInfo build in DIR (configured and built here)
#   bench_median         median of the numbers on stdin (one per line)
#   bench_wall FILE      wall seconds from a /usr/bin/time -v report
#   bench_rss_mb FILE    peak RSS in MB from a /usr/bin/time -v report
#   bench_cpu FILE       user + system seconds from a /usr/bin/time -v report
#   bench_settle         waits before a cold command that creates many files (see below)
#   bench_fs_up DIR GB   a fresh journaled ext4 at DIR for the cold work, when root (see below)
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
# one freed less than 360 s ago while its inode-table block is dirty (fs/ext4/ialloc.c,
# recently_deleted: RECENTCY_MIN 60, RECENTCY_DIRTY 300), and every allocation walks past such
# inodes: creating 50k files after deleting as many costs several times the kernel time. A sync
# and 65 s is not enough: the new files dirty the table blocks again, so the 360 s window
# applies. Measured on the 3.3 GB synthetic zstd build: 65 s gave 39.4 s (17.4 s of system time,
# openat 13% of all CPU), 370 s gave 33.9 s (10.8 s system, openat 2%). Real machines' ext4 has
# a journal, which skips that check. So, as root with loop devices (BENCH_FS=auto, the default),
# the cold work runs on a fresh journaled ext4 mounted by bench_fs_up (a sparse image in bench/out,
# a loop device with direct I/O, so no page is cached twice) and a cold command waits only for a
# sync; else (BENCH_FS=root, or not root) each cold command waits a sync and BENCH_SETTLE s
# (default 370) after the last mass deletion.
# On the loop device, a sync and an fstrim: the blocks the deletion freed go back to the image's
# filesystem (the image stays as large as what it holds, not as all it ever held).
bench_fs=root bench_fs_dir=
bench_settle() {
  sync
  if [ "$bench_fs" = loop ]; then fstrim "$bench_fs_dir"; else sleep "${BENCH_SETTLE:-370}"; fi
}
# bench_fs_up DIR GB: mounts a fresh journaled ext4 of GB (sparse) at DIR when BENCH_FS allows,
# sets bench_fs=loop and arranges its removal at exit; prints where the cold work goes.
bench_fs_up() {
  local dir=$1 gb=$2 img="$1.img" dev
  if [ "${BENCH_FS:-auto}" = root ] || [ "$(id -u)" != 0 ] || ! command -v losetup >/dev/null ||
    ! command -v mkfs.ext4 >/dev/null; then
    [ "${BENCH_FS:-auto}" != loop ] || { echo "bench: BENCH_FS=loop needs root, losetup and mkfs.ext4" >&2; return 1; }
    echo "bench: cold work on the root filesystem, each cold command after a sync and ${BENCH_SETTLE:-370} s" >&2
    return 0
  fi
  bench_fs_down "$dir"
  mkdir -p "$dir"
  # never larger than the room there (less 4 GB): a sparse image that outgrows its disk fails
  # its writes (the filesystem turns read-only)
  local room
  room=$(df --output=avail -BG "$(dirname "$img")" | tail -1 | tr -dc 0-9)
  [ "$room" -ge $((gb + 4)) ] || gb=$((room - 4))
  [ "$gb" -ge 8 ] || { echo "bench: only ${room} GB free at $(dirname "$img"): free some space, or run with BENCH_FS=root" >&2; return 1; }
  truncate -s "${gb}G" "$img"
  if ! mkfs.ext4 -q -F "$img" || ! dev=$(losetup -f --show --direct-io=on "$img"); then
    rm -f "$img"; echo "bench: cannot make a loop filesystem at $img (run with BENCH_FS=root)" >&2; return 1
  fi
  mount "$dev" "$dir" || { losetup -d "$dev"; rm -f "$img"; echo "bench: cannot mount $dev at $dir (run with BENCH_FS=root)" >&2; return 1; }
  bench_fs=loop bench_fs_dir=$dir
  # shellcheck disable=SC2064 # expand now: the trap runs after the caller's variables changed
  trap "bench_fs_down '$dir'" EXIT
  echo "bench: cold work on a fresh journaled ext4 of $gb GB at $dir (loop device, direct I/O)" >&2
}
# bench_fs_down DIR: unmounts DIR (if a bench_fs_up mount) and removes its image; a mount that
# will not go is left as it is, and said
bench_fs_down() {
  local dev
  if mountpoint -q "$1"; then
    dev=$(findmnt -n -o SOURCE "$1")
    umount "$1" || { echo "bench: cannot unmount $1 (busy?): umount it, losetup -d $dev, rm $1.img" >&2; return 1; }
    case $dev in /dev/loop*) losetup -d "$dev" ;; esac
  fi
  rm -f "$1.img"
}
bench_median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
bench_wall() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$1"; }
bench_cpu() { awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f\n", s}' "$1"; }
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

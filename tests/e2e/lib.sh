# lib.sh — tiny helpers for the end-to-end shell tests: named checks, a PASS/FAIL line per
# check and the closing "N passed, N failed" line. Source it; call e2e_finish at the end.
E2E_PASS=0
E2E_FAIL=0
E2E_SKIP=0

e2e_ok() { E2E_PASS=$((E2E_PASS + 1)); echo "PASS: $1"; }
e2e_bad() { E2E_FAIL=$((E2E_FAIL + 1)); echo "FAIL: $1"; [ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/    /'; return 0; }

# check NAME CMD...: CMD must succeed.
check() {
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then e2e_ok "$name"; else e2e_bad "$name" "$(printf '%s\n' "$out" | tail -20)"; fi
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
  if [ "$2" = "$3" ]; then e2e_ok "$1"; else e2e_bad "$1" "expected: $2
actual:   $3"; fi
}

# expect_fail NAME REGEX CMD...: CMD must fail (non-zero) and print REGEX (grep -E, matched
# against the whole output at once, so `.` also crosses lines) on stderr/stdout.
expect_fail() {
  local name=$1 re=$2; shift 2
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ $rc -eq 0 ]; then e2e_bad "$name" "expected failure, got success:
$(printf '%s\n' "$out" | tail -5)"; return; fi
  if printf '%s\n' "$out" | grep -Ezq -- "$re"; then e2e_ok "$name"; else e2e_bad "$name" "exit $rc but message did not match /$re/:
$(printf '%s\n' "$out" | tail -8)"; fi
}

# expect_rc NAME RC REGEX CMD...: CMD exits exactly RC and prints REGEX (grep -E, per line) on
# stdout/stderr: for commands whose exit status means something (diff, verify: 0/1/2).
expect_rc() {
  local name=$1 want=$2 re=$3 out rc; shift 3
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -eq "$want" ] && printf '%s\n' "$out" | grep -Eq -- "$re"; then e2e_ok "$name"
  else e2e_bad "$name" "exit $rc (want $want), output:
$(printf '%s\n' "$out" | tail -8)"; fi
}

e2e_skip() { echo "SKIP: $1"; exit 77; }

e2e_need_root() { [ "$(id -u)" -eq 0 ] || e2e_skip "needs root (chroot, umoci unpack)"; }

e2e_need_tools() {
  local t
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || e2e_skip "tool '$t' not installed (run .ci/bootstrap)"; done
}

e2e_finish() {
  echo "$E2E_PASS passed, $E2E_FAIL failed"
  [ "$E2E_FAIL" -eq 0 ]
}

# run_in ROOTFS CMD...: runs CMD inside ROOTFS in fresh mount/pid namespaces.
run_in() {
  local root=$1; shift
  mkdir -p "$root/proc"
  unshare -m -p -f --mount-proc="$root/proc" chroot "$root" "$@" 2>&1
}

# Registry access-log helpers (tests/fixtures/registry writes DIR/registry.log), reading log
# lines on stdin: the digests of finished blob uploads (PUT .../blobs/uploads/...?digest=)
# and of cross-repository mounts the registry did (POST ?mount= answered 201), sorted, unique.
reg_log_uploaded() { grep -oE '"PUT /v2/[^ ]*/blobs/uploads/[^ ]*digest=sha256(%3A|:)[0-9a-f]{64}' | grep -oE '[0-9a-f]{64}$' | sort -u; }
reg_log_mounted() { grep -E '"POST /v2/[^ ]*/blobs/uploads/\?mount=[^ ]* HTTP/[0-9.]+" 201' | grep -oE 'mount=sha256:[0-9a-f]{64}' | cut -d: -f2 | sort -u; }

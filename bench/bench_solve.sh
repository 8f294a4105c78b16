#!/usr/bin/env bash
# bench_solve.sh — solve speed at conda-forge scale: imgbuild (cold = fresh cache, so the
# repodata copy, JSON parse and .solv/.idx writing are included; warm = .solv cache) against
# rattler (npm @conda-org/rattler, WASM; served over loopback HTTP, no on-disk cache) on the
# same synthetic 320k-record channel (bench/gen_channel) and the same environments, in one run.
# Medians of N runs (default 3). Writes bench/out/solve-report.md; --write updates the
# "Solver" section of BENCHMARKS.md (other sections kept). --baseline BIN also times cold solves
# with another imgbuild binary (e.g. an older build) in the same run, and checks that its
# locks are identical, and its warm solves (its own cache) beside the current binary's.
#
#   bench/bench_solve.sh [--runs N] [--records N] [--baseline BIN] [--write] [--quick]
# --quick: 1 run on a 20k-record channel (checks the script end to end; numbers mean nothing).
# Needs: a built imgbuild (IMGBUILD_BIN or build/imgbuild), node + `npm ci` in bench/rattler.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${IMGBUILD_BIN:-$top/build/imgbuild}
runs=3 records=320000 write=0 baseline=
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --records) records=$2; shift 2 ;;
    --write) write=1; shift ;;
    --baseline) baseline=$2; shift 2 ;;
    --quick) runs=1 records=20000; shift ;;
    *) echo "usage: $0 [--runs N] [--records N] [--baseline BIN] [--write] [--quick]" >&2; exit 2 ;;
  esac
done
out=$top/bench/out/solve
chan=$top/bench/out/synth-channel-$records
mkdir -p "$out"
[ -x "$bin" ] || { echo "bench_solve: $bin missing: build imgbuild first" >&2; exit 1; }
if [ ! -d "$top/bench/rattler/node_modules/@conda-org/rattler" ]; then
  (cd "$top/bench/rattler" && npm ci --no-audit --no-fund >/dev/null)
fi
"$top/bench/gen_channel" "$chan" --records "$records"

# name | specs (one per line in the env file) | imgbuild/rattler flags
envs=(
  "pytorch-cuda|python=3.11 pytorch|--cuda 12.4"
  "mid-size|python=3.11 numpy pandas scipy matplotlib-base jupyterlab xarray dask scikit-learn|"
)

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.0f\n", m}'; }

report=$out/report.md
{
  echo "Channel: \`bench/gen_channel\` ($(python3 -c "import json;d=json.load(open('$chan/stats.json'));print(f\"{d['records']:,} records, {d['names']:,} names\")")), file:// for imgbuild, loopback HTTP for rattler."
  echo
  if [ -n "$baseline" ]; then
    echo "| environment | packages (imgbuild / rattler) | baseline cold | imgbuild cold | baseline warm | imgbuild warm | rattler cold (process) | rattler solve call | rattler 2nd call, same process | warm vs rattler cold | cold / rattler cold | warm / rattler cold |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  else
    echo "| environment | packages (imgbuild / rattler) | imgbuild cold | imgbuild warm | rattler cold (process) | rattler solve call | rattler 2nd call, same process | warm vs rattler cold | cold / rattler cold | warm / rattler cold |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
  fi
} >"$report"

for e in "${envs[@]}"; do
  IFS='|' read -r name specs flags <<<"$e"
  envf=$out/$name.yml
  { echo "channels:"; echo "  - file://$chan"; echo "  - nodefaults"; echo "dependencies:"
    for s in $specs; do echo "  - $s"; done; } >"$envf"
  cold=() warm=() rproc=() rcall=() rsecond=() base=() basewarm=()
  for i in $(seq "$runs"); do
    if [ -n "$baseline" ]; then # alternating with the current binary: load changes hit both alike
      rm -rf "$out/cache-base"
      t0=$(now_ms)
      # shellcheck disable=SC2086
      "$baseline" lock "$envf" -o "$out/$name.base.txt" --format explicit $flags --cache-dir "$out/cache-base" >/dev/null 2>&1
      base+=($(( $(now_ms) - t0 )))
      rm -rf "$out/cache-base"
    fi
    rm -rf "$out/cache-cold"
    t0=$(now_ms)
    # shellcheck disable=SC2086
    "$bin" lock "$envf" -o "$out/$name.cold.txt" --format explicit $flags --cache-dir "$out/cache-cold" >/dev/null 2>&1
    cold+=($(( $(now_ms) - t0 )))
  done
  if [ -n "$baseline" ]; then # the baseline's own warm cache, filled once
    rm -rf "$out/cache-basewarm"
    # shellcheck disable=SC2086
    "$baseline" lock "$envf" -o "$out/$name.base.txt" --format explicit $flags --cache-dir "$out/cache-basewarm" >/dev/null 2>&1
  fi
  for i in $(seq "$runs"); do
    if [ -n "$baseline" ]; then
      t0=$(now_ms)
      # shellcheck disable=SC2086
      "$baseline" lock "$envf" -o "$out/$name.base.txt" --format explicit $flags --cache-dir "$out/cache-basewarm" >/dev/null 2>&1
      basewarm+=($(( $(now_ms) - t0 )))
    fi
    t0=$(now_ms)
    # shellcheck disable=SC2086
    "$bin" lock "$envf" -o "$out/$name.warm.txt" --format explicit $flags --cache-dir "$out/cache-cold" >/dev/null 2>&1
    warm+=($(( $(now_ms) - t0 )))
  done
  rm -rf "$out/cache-basewarm"
  cmp -s "$out/$name.cold.txt" "$out/$name.warm.txt" || { echo "bench_solve: $name: warm and cold solutions differ" >&2; exit 1; }
  if [ -n "$baseline" ]; then
    cmp -s "$out/$name.cold.txt" "$out/$name.base.txt" || { echo "bench_solve: $name: baseline and current solutions differ" >&2; exit 1; }
  fi
  for i in $(seq "$runs"); do
    t0=$(now_ms)
    # shellcheck disable=SC2086
    node "$top/bench/rattler/solve.cjs" --channel "$chan" $flags --repeat 2 --out "$out/$name.rattler.json" $specs
    rproc+=($(( $(now_ms) - t0 )))
    read -r c1 c2 < <(python3 -c "import json;d=json.load(open('$out/$name.rattler.json'));print(round(d['ms'][0]), round(d['ms'][1]))")
    rcall+=("$c1"); rsecond+=("$c2")
  done
  n_img=$(grep -c '^[a-z]*:' "$out/$name.warm.txt" || true)
  n_rat=$(python3 -c "import json;print(len(json.load(open('$out/$name.rattler.json'))['packages']))")
  mc=$(printf '%s\n' "${cold[@]}" | median); mw=$(printf '%s\n' "${warm[@]}" | median)
  mp=$(printf '%s\n' "${rproc[@]}" | median); mr=$(printf '%s\n' "${rcall[@]}" | median)
  ms=$(printf '%s\n' "${rsecond[@]}" | median)
  ratio=$(awk -v a="$mr" -v b="$mw" 'BEGIN {printf "%.1fx faster", a / b}')
  # issue 14's targets: cold <= 0.5x and warm <= 0.2x rattler's cold (whole processes both)
  rc_cold=$(awk -v a="$mc" -v b="$mp" 'BEGIN {printf "%.2f×", a / b}')
  rc_warm=$(awk -v a="$mw" -v b="$mp" 'BEGIN {printf "%.2f×", a / b}')
  bcell=
  bwcell=
  [ -z "$baseline" ] || bcell="$(printf '%s\n' "${base[@]}" | median) ms | "
  [ -z "$baseline" ] || bwcell="$(printf '%s\n' "${basewarm[@]}" | median) ms | "
  echo "| $name (\`$specs\` $flags) | $n_img / $n_rat | $bcell$mc ms | $bwcell$mw ms | $mp ms | $mr ms | $ms ms | $ratio | $rc_cold | $rc_warm |" >>"$report"
  echo "bench_solve: $name: baseline cold ${base[*]:-} warm ${basewarm[*]:-} imgbuild cold ${cold[*]} warm ${warm[*]}; rattler process ${rproc[*]} call ${rcall[*]} second ${rsecond[*]}" >&2
done
{
  echo
  echo "Runs: $runs per cell, median. Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM, load average at the end $(cut -d' ' -f1-3 /proc/loadavg). imgbuild times are whole \`imgbuild lock\` processes (fetch, load, solve, write the lock); \"rattler solve call\" is the \`simpleSolve\` call alone (fetch over loopback + parse + solve) and \"process\" adds node start-up and the WASM load. \"warm vs rattler cold\" compares with the solve call; the last two columns are imgbuild's process time over rattler's cold process (issue 14's targets: cold ≤ 0.5×, warm ≤ 0.2×)."
} >>"$report"
cat "$report"

if [ "$write" = 1 ]; then
  python3 - "$top/BENCHMARKS.md" "$report" "bench/bench_solve.sh --runs $runs --records $records${baseline:+ --baseline $baseline}" <<'EOF'
import sys
path, report, cmd = sys.argv[1:4]
text = open(path).read() if __import__('os').path.exists(path) else '# Benchmarks\n'
section = '## Solver: conda-forge-scale solve vs rattler\n\n' + f'`{cmd}`\n\n' + open(report).read().strip() + '\n'
start = text.find('## Solver: conda-forge-scale solve vs rattler')
if start < 0:
    text = text.rstrip('\n') + '\n\n' + section
else:
    end = text.find('\n## ', start + 1)
    text = text[:start] + section + ('\n' + text[end + 1:] if end >= 0 else '')  # a blank line before the next section
open(path, 'w').write(text)
EOF
fi

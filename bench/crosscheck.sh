#!/usr/bin/env bash
# crosscheck.sh — imgbuild's solver against rattler (npm @conda-org/rattler), judged by a third
# party: for every environment in ../shared/corpus/envs (+ a few on the synthetic channel), the
# conda dependencies (channel:: prefixes and pip sections dropped) are solved by both against
# the same channel with the same virtual packages; bench/solution_check.c (condaver, no solver
# code) checks each answer satisfies every spec, dependency and constraint; differences are
# classified (tie = both consistent; only inconsistency is a failure). Environments neither
# solver can solve on that channel (packages absent from it) are listed as skipped.
#
#   bench/crosscheck.sh [--synthetic] [--write]
# Writes bench/out/crosscheck/report.md; --write copies it to docs/solver-crosscheck.md.
# Exit 1 when an answer is inconsistent. Needs node + `npm ci` in bench/rattler, python3-yaml.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${IMGBUILD_BIN:-$top/build/imgbuild}
shared=${IMGBUILD_SHARED:-$top/../shared}
synthetic=0 write=0
for a in "$@"; do
  case $a in
    --synthetic) synthetic=1 ;;
    --write) write=1 ;;
    *) echo "usage: $0 [--synthetic] [--write]" >&2; exit 2 ;;
  esac
done
out=$top/bench/out/crosscheck
mkdir -p "$out"
[ -d "$shared/corpus/envs" ] || { echo "crosscheck: $shared/corpus missing" >&2; exit 1; }
[ -x "$bin" ] || { echo "crosscheck: $bin missing: build imgbuild first" >&2; exit 1; }
if [ ! -d "$top/bench/rattler/node_modules/@conda-org/rattler" ]; then
  (cd "$top/bench/rattler" && npm ci --no-audit --no-fund >/dev/null)
fi
cc -std=c11 -O2 -I "$top/tests/unit/helpers" "$top/bench/solution_check.c" \
  "$top/tests/unit/helpers/condaver.c" -ljansson -o "$out/solution_check"
channels=("$shared/corpus/channels/conda-forge-from-locks")
if [ "$synthetic" = 1 ]; then
  "$top/bench/gen_channel" "$top/bench/out/synth-channel"
  channels+=("$top/bench/out/synth-channel")
fi

rc=0
/usr/bin/python3 - "$top" "$bin" "$out" "$shared/corpus/envs" "${channels[@]}" <<'EOF' || rc=$?
import glob, json, os, re, subprocess, sys
import yaml

top, imgbuild, out, envdir = sys.argv[1:5]
channels = sys.argv[5:]
VIRT = {'__glibc': '2.28', '__cuda': '12.4', '__unix': '0', '__linux': '5.10', '__archspec': '1'}


def specs_of(path):
    try:
        doc = yaml.safe_load(open(path))
    except Exception as e:
        return None, f'unreadable YAML ({e.__class__.__name__})'
    deps = [d for d in (doc or {}).get('dependencies') or [] if isinstance(d, str)]
    specs = []
    for d in deps:
        d = d.split('#', 1)[0].strip()
        if '::' in d:  # rattler crashes on channel::name; the channel is ours anyway
            d = d.split('::', 1)[1]
        if d and d != 'pip':
            specs.append(d)
    return specs, None


def run_imgbuild(specs, chan, tag):
    env = os.path.join(out, tag + '.yml')
    with open(env, 'w') as f:
        f.write(f'channels:\n  - file://{chan}\n  - nodefaults\ndependencies:\n')
        for s in specs:
            f.write(f'  - {json.dumps(s)}\n')
    res = os.path.join(out, tag + '.imgbuild.json')
    p = subprocess.run([imgbuild, 'lock', env, '-o', res, '--format', 'json', '--cuda', VIRT['__cuda'],
                        '--glibc', VIRT['__glibc'], '--cache-dir', os.path.join(out, 'cache')],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr.strip().splitlines()[-1][:300] if p.stderr.strip() else 'failed'
    return res, None


def run_rattler(specs, chan, tag):
    res = os.path.join(out, tag + '.rattler.json')
    p = subprocess.run(['node', os.path.join(top, 'bench/rattler/solve.cjs'), '--channel', chan,
                        '--cuda', VIRT['__cuda'], '--glibc', VIRT['__glibc'], '--out', res] + specs,
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        try:
            msg = json.load(open(res)).get('error', '')
        except Exception:
            msg = p.stderr
        return None, ' '.join(msg.split())[:300]
    return res, None


def check(res, specs, chan):
    args = [os.path.join(out, 'solution_check'), '--solution', res, '--channel', chan]
    for k, v in VIRT.items():
        args += ['--virtual', f'{k}={v}']
    p = subprocess.run(args + specs, capture_output=True, text=True)
    return p.returncode == 0, p.stdout.strip()


def recs(res):
    return {p['name']: (p['version'], p['build']) for p in json.load(open(res))['packages']}


def details_of(res):
    return {p['name']: p for p in json.load(open(res))['packages']}


sys.path.insert(0, os.path.join(top, 'bench'))


def vkey(v):
    return [(0, int(x), '') if x.isdigit() else (1, 0, x) for x in re.split(r'[._-]', v)]


def dependents(pk, name):
    return sorted(n for n, p in pk.items() if any(re.split(r'[ =<>!~]', d, 1)[0] == name for d in p.get('depends') or []))


def classify(a, b, da, db):
    """Why two consistent answers differ, per name."""
    lines, counts = [], {'newer in imgbuild': 0, 'newer in rattler': 0, 'build only': 0,
                         'only in imgbuild': 0, 'only in rattler': 0}
    for n in sorted(set(a) | set(b)):
        x, y = a.get(n), b.get(n)
        if x == y:
            continue
        if x is None:
            kind = 'only in rattler'
        elif y is None:
            kind = 'only in imgbuild'
        elif x[0] == y[0]:
            kind = 'build only'
        else:
            kind = 'newer in imgbuild' if vkey(x[0]) > vkey(y[0]) else 'newer in rattler'
        counts[kind] += 1
        why = kind
        if kind == 'build only':
            bi, br = da[n].get('build_number'), db[n].get('build_number')
            why = (f'same version, build number {bi} vs {br}' if bi != br else
                   f'same version and build number {bi}: a tie on the build string (libsolv compares build '
                   f'strings; rattler orders by timestamp, absent here, then other criteria)')
        elif kind.startswith('only in'):
            pk = da if kind == 'only in imgbuild' else db
            why = f'{kind}: required by {", ".join(dependents(pk, n)) or "nothing (requested?)"} in that answer'
        lines.append(f'{n}: imgbuild {" ".join(x) if x else "-"} / rattler {" ".join(y) if y else "-"} ({why})')
    return counts, lines


rows, details, failures, compared = [], [], 0, 0
envs = sorted(glob.glob(os.path.join(envdir, '*.y*ml')) + glob.glob(os.path.join(envdir, 'ext', '*.y*ml')))
jobs = [(e, channels[0]) for e in envs]
if len(channels) > 1:
    for specs in (['python=3.11', 'pytorch'], ['python=3.11', 'numpy', 'pandas', 'scipy', 'matplotlib-base',
                  'jupyterlab', 'xarray', 'dask', 'scikit-learn'], ['python=3.12', 'numpy', 'cupy']):
        jobs.append((specs, channels[1]))
for i, (env, chan) in enumerate(jobs):
    if isinstance(env, list):
        name, specs, why = 'synthetic: ' + ' '.join(env), env, None
    else:
        name = os.path.relpath(env, envdir)
        specs, why = specs_of(env)
    tag = f'e{i:03d}'
    if not specs:
        rows.append((name, 'skipped', why or 'no conda dependencies', '', ''))
        continue
    ri, ei = run_imgbuild(specs, chan, tag)
    rr, er = run_rattler(specs, chan, tag)
    if not ri and not rr:
        rows.append((name, 'skipped', 'neither solver: ' + (ei or '')[:160], '', ''))
        continue
    oki, msgi = check(ri, specs, chan) if ri else (False, 'imgbuild: ' + ei)
    okr, msgr = check(rr, specs, chan) if rr else (False, 'rattler: ' + er)
    if ri and not oki or rr and not okr:
        failures += 1
    if not (ri and rr):
        # one solved, the other refused: only a failure when the solved answer is consistent
        rows.append((name, 'one-sided', (f'imgbuild: {ei}' if not ri else f'rattler: {er}')[:200],
                     msgi.splitlines()[0] if ri else '-', msgr.splitlines()[0] if rr else '-'))
        continue
    compared += 1
    a, b = recs(ri), recs(rr)
    counts, lines = classify(a, b, details_of(ri), details_of(rr))
    same = not lines
    verdict = ('identical' if same else 'tie (both consistent)') if oki and okr else 'INCONSISTENT'
    summary = ', '.join(f'{v} {k}' for k, v in counts.items() if v) or '-'
    rows.append((name, verdict, f'{len(a)} / {len(b)} packages; {summary}', msgi.splitlines()[0], msgr.splitlines()[0]))
    if lines or not (oki and okr):
        details.append((name, [l for l in msgi.splitlines() if not l.startswith('ok')] +
                        [l for l in msgr.splitlines() if not l.startswith('ok')] + lines))

with open(os.path.join(out, 'report.md'), 'w') as f:
    f.write('# Solver cross-check: imgbuild vs rattler\n\n')
    f.write('Produced by `bench/crosscheck.sh%s` (imgbuild `lock --format json`, rattler `@conda-org/rattler` '
            'simpleSolve over loopback HTTP). Virtual packages for both: %s. Each answer is checked by '
            '`bench/solution_check.c` (tests/unit/helpers/condaver: conda version and spec rules, no solver '
            'code) against the channel\'s own records: every requested spec, every dependency, every '
            'constraint, one record per name.\n\n' % (' --synthetic' if len(channels) > 1 else '',
                                                     ', '.join(f'{k} {v}' for k, v in VIRT.items())))
    n_tie = sum(1 for r in rows if r[1].startswith('tie'))
    n_same = sum(1 for r in rows if r[1] == 'identical')
    f.write(f'**{compared} environments solved by both: {n_same} identical, {n_tie} ties (different but both '
            f'consistent), {failures} inconsistent answers.** Skipped: {sum(1 for r in rows if r[1] == "skipped")} '
            f'(packages not in the channel); one-sided: {sum(1 for r in rows if r[1] == "one-sided")}.\n\n')
    f.write('| environment | verdict | packages imgbuild / rattler; differences | imgbuild check | rattler check |\n|---|---|---|---|---|\n')
    for r in rows:
        f.write('| ' + ' | '.join(c.replace('|', '\\|') for c in r) + ' |\n')
    f.write('\n## Differences\n\n')
    for name, lines in details:
        f.write(f'### {name}\n\n' + ''.join(f'- {l}\n' for l in lines[:40]) + '\n')
print(open(os.path.join(out, 'report.md')).read().split('\n\n')[2])
sys.exit(1 if failures else 0)
EOF
if [ "$write" = 1 ]; then
  mkdir -p "$top/docs"
  cp "$out/report.md" "$top/docs/solver-crosscheck.md"
fi
exit "$rc"

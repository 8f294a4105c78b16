#!/usr/bin/python3
# shared_seeds.py — derives fuzzing seeds from the real third-party data in ../shared/corpus
# at run time, into a build directory (never into the tree: see ../shared/corpus/README.md).
# Big documents are cut to a few records so each execution stays fast; harnesses that read
# several kinds of input get their selector byte in front (see each tests/fuzz/fuzz_*.c).
#
#   tests/fuzz/shared_seeds.py CORPUS_DIR OUT_DIR
# Writes OUT_DIR/<harness>/<name> for envspec, matchspec, repodata, shard, lock, pkg.
# A missing CORPUS_DIR writes nothing (the hand-written seeds in tests/fuzz/seeds still run).
import glob
import json
import os
import re
import subprocess
import sys

RECORDS_PER_MAP = 6
PKG_MAX_BYTES = 64 * 1024
LOCK_PACKAGES = 8
LOCK_LINES = 300


def put(out, harness, name, data):
    d = os.path.join(out, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def repodata(corpus, out):
    files = glob.glob(os.path.join(corpus, 'repodata', '*.json'))
    files += glob.glob(os.path.join(corpus, 'repodata', 'sharded-sample', '*repodata.json'))
    files += glob.glob(os.path.join(corpus, 'channels', '*', '*', 'repodata.json'))
    for i, path in enumerate(sorted(files)):
        try:
            doc = json.load(open(path))
        except (OSError, ValueError):
            continue
        others = [k for k in doc if k not in ('packages', 'packages.conda')]
        small = {k: doc[k] for k in others[:RECORDS_PER_MAP]}  # test indexes keep records here
        for key in ('packages', 'packages.conda'):
            if isinstance(doc.get(key), dict):
                small[key] = dict(list(doc[key].items())[:RECORDS_PER_MAP])
        put(out, 'repodata', 'corpus-%02d.json' % i, json.dumps(small))


def envs_and_specs(corpus, out):
    specs = set()
    for path in sorted(glob.glob(os.path.join(corpus, 'envs', '**'), recursive=True)):
        if path.endswith('SOURCES.tsv') or not os.path.isfile(path):
            continue
        text = open(path, 'rb').read()
        put(out, 'envspec', os.path.relpath(path, corpus).replace('/', '__'), text)
        for m in re.finditer(rb'^\s*-\s+([^#\n]+)$', text, re.M):
            spec = m.group(1).strip().strip(b'"\'')
            if spec and b':' not in spec[-1:]:
                specs.add(spec)
    for i, spec in enumerate(sorted(specs)):
        put(out, 'matchspec', 'env-spec-%04d' % i, spec)


def locks(corpus, out):
    for path in sorted(glob.glob(os.path.join(corpus, 'locks', '*'))):
        name = os.path.basename(path)
        if name == 'SOURCES.tsv':
            continue
        text = open(path, 'rb').read()
        if b'@EXPLICIT' in text:
            lines = text.split(b'\n')
            put(out, 'lock', name, b'\n'.join(lines[:40]) + b'\n')
            continue
        # conda-lock YAML: the header and the first few `- name:` package entries; other
        # formats (pixi, rattler v4+) are refused early anyway: their first lines suffice
        cuts = [m.start() for m in re.finditer(rb'^- name: ', text, re.M)]
        if len(cuts) > LOCK_PACKAGES:
            text = text[:cuts[LOCK_PACKAGES]]
        put(out, 'lock', name, b'\n'.join(text.split(b'\n')[:LOCK_LINES]) + b'\n')


def shards(corpus, out):
    for path in sorted(glob.glob(os.path.join(corpus, 'repodata', 'sharded-sample', '*.msgpack.zst'))):
        try:
            raw = subprocess.run(['zstd', '-dcq', path], check=True, capture_output=True).stdout
        except (OSError, subprocess.CalledProcessError):
            continue
        kind = b'i' if path.endswith('repodata_shards.msgpack.zst') else b's'
        put(out, 'shard', os.path.basename(path)[:-4], kind + raw)


def packages(corpus, out):
    for path in sorted(glob.glob(os.path.join(corpus, 'packages', '*'))):
        if (path.endswith('.conda') or path.endswith('.tar.bz2')) and \
                os.path.getsize(path) <= PKG_MAX_BYTES:
            put(out, 'pkg', os.path.basename(path), open(path, 'rb').read())


def main():
    corpus, out = sys.argv[1], sys.argv[2]
    if not os.path.isdir(corpus):
        return 0
    repodata(corpus, out)
    envs_and_specs(corpus, out)
    locks(corpus, out)
    shards(corpus, out)
    packages(corpus, out)
    return 0


if __name__ == '__main__':
    sys.exit(main())

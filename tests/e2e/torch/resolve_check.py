"""Every ELF file of the environment finds all the libraries it NEEDs inside the environment
(tests/e2e/test_torch_ddp.sh). Each one is listed by the environment's own loader
(PREFIX/lib/ld-linux-x86-64.so.2 --list FILE, which maps the dependencies but runs nothing of
FILE); prints JSON: how many files were checked and every 'not found' or dependency resolved
outside PREFIX. glibc's own files (package libc-debian: libBrokenLocale, libnss_*, ...) are
left out: they are only ever loaded into a process that already runs on that libc.
Arguments: sonames known to be absent (reported under "allowed", not as problems).
"""
import json
import os
import re
import subprocess
import sys

allowed = set(sys.argv[1:])

prefix = os.environ["CONDA_PREFIX"]
loader = os.path.join(prefix, "lib", "ld-linux-x86-64.so.2")
libc_files = set()
meta = os.path.join(prefix, "conda-meta")
for n in os.listdir(meta):
    if n.startswith("libc-debian-"):
        with open(os.path.join(meta, n)) as f:
            libc_files.update(os.path.join(prefix, x) for x in json.load(f)["files"])
if not libc_files:
    sys.exit("no conda-meta record of libc-debian")
checked, problems, allowed_seen = 0, [], []
for dirpath, dirnames, filenames in os.walk(prefix):
    dirnames.sort()
    for n in sorted(filenames):
        p = os.path.join(dirpath, n)
        if os.path.islink(p) or p in libc_files:
            continue
        with open(p, "rb") as f:
            if f.read(4) != b"\x7fELF":
                continue
        checked += 1
        r = subprocess.run([loader, "--list", p], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        mine = []
        for line in r.stdout.splitlines():
            line = line.strip()
            if "not found" in line:
                mine.append("%s: %s" % (p, line))
            elif "=>" in line:
                target = line.split("=>", 1)[1].split("(")[0].strip()
                if target and not target.startswith(prefix + "/"):
                    mine.append("%s: %s" % (p, line))
        if r.returncode != 0 and not mine:
            mine.append("%s: loader exit %d: %s" % (p, r.returncode, r.stdout.strip()[-300:]))
        for m in mine:
            absent = re.search(r"(\S+) => not found|shared libraries: ([^:]+):", m)
            if absent and (absent.group(1) or absent.group(2)) in allowed:
                allowed_seen.append(m)
            else:
                problems.append(m)
print(json.dumps({"checked": checked, "problems": problems, "allowed": allowed_seen}, indent=1))
sys.exit(0)

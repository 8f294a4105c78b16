#!/usr/bin/env python3
"""funclen.py — refuses C functions longer than a limit (CONVENTIONS.md §2: a function over
~80 lines usually hides a second job).

A function's length is the number of lines between its opening `{` in column 0 and the next
`}` in column 0 (the project's clang-format puts both there), the braces not counted. The name is the last
identifier before the first `(` of the declaration lines above the `{`.

Usage: funclen.py [--max N] FILE...   Prints FILE:FUNCTION:LINES for each function over N
(default 80) and exits 1 if there is one, 0 otherwise.
"""
import re
import sys

IDENT_BEFORE_PAREN = re.compile(r"([A-Za-z_]\w*)\s*\(")


def function_name(lines, brace):
    """The declaration is the run of non-blank lines above the brace, back to the previous
    top-level statement; its name is the identifier before the first '('."""
    start = brace
    while start > 0:
        prev = lines[start - 1]
        if not prev.strip() or prev.startswith(("}", "#")) or prev.rstrip().endswith(";") \
                or prev.lstrip().startswith(("/*", "*", "//")):
            break
        start -= 1
    decl = " ".join(lines[start:brace])
    m = IDENT_BEFORE_PAREN.search(decl)
    return m.group(1) if m else None


def long_functions(path, limit):
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    out = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("{"):
            name = function_name(lines, i)
            j = i + 1
            while j < len(lines) and not lines[j].startswith("}"):
                j += 1
            n = j - i - 1
            if name and n > limit:
                out.append((name, n))
            i = j
        i += 1
    return out


def main(argv):
    limit = 80
    files = argv[1:]
    if len(files) >= 2 and files[0] == "--max":
        limit = int(files[1])
        files = files[2:]
    bad = 0
    for path in files:
        for name, n in long_functions(path, limit):
            print(f"{path}:{name}:{n}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

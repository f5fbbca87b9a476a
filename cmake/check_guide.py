#!/usr/bin/env python3
"""Checks the call-mapping tables in docs/guide/from-*.md against the headers.

Each table row is `| python call | fern call | header(s) |`. Every name the fern column reaches
through `::`, `.` or `->`, and every type name (a capitalised identifier), must be declared in one
of the headers named in the third column (include/<path>), so the guide cannot drift from the code.
Rows whose fern column says *planned* name no header and are skipped.

Usage: check_guide.py <repo root> | --self-test
"""
import pathlib
import re
import sys
import tempfile

CODE = re.compile(r"`([^`]+)`")
NAME = re.compile(r"(?:(::|\.|->)|(?<![A-Za-z0-9_:.>]))([A-Za-z_][A-Za-z0-9_]*)")


def names_in(code):
    """The names a fern code span promises: reached through ::, . or ->, or a type name."""
    found = []
    for span in CODE.findall(code):
        for m in NAME.finditer(span):
            prefix, name = m.group(1), m.group(2)
            if span[: m.start()].endswith("std::"):
                continue  # the standard library is not ours to check
            if prefix or (name[0].isupper() and len(name) > 1):
                found.append(name)
    return found


def check_table(path, root):
    errors = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not line.lstrip().startswith("|") or set(cells[1]) <= set("-: "):
            continue
        _, fern, headers = cells
        if "*planned*" in fern or not CODE.search(fern):
            continue  # a planned call, or the table's heading
        header_paths = [root / "include" / h for h in CODE.findall(headers)]
        where = f"{path.name}:{number}"
        if not header_paths:
            errors.append(f"{where}: no header named for {fern}")
            continue
        texts = []
        for h in header_paths:
            if not h.is_file():
                errors.append(f"{where}: {h.relative_to(root)} does not exist")
            else:
                texts.append(h.read_text())
        for name in names_in(fern):
            if not any(re.search(rf"\b{re.escape(name)}\b", t) for t in texts):
                errors.append(f"{where}: `{name}` is not declared in {headers}")
    return errors


def check(root):
    pages = sorted((root / "docs" / "guide").glob("from-*.md"))
    if not pages:
        return ["docs/guide has no from-*.md page"]
    return [e for page in pages for e in check_table(page, root)]


def self_test():
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "include" / "x").mkdir(parents=True)
        (root / "docs" / "guide").mkdir(parents=True)
        (root / "include" / "x" / "a.hpp").write_text("namespace fern { void spawn(); class Pool; }\n")
        page = root / "docs" / "guide" / "from-x.md"
        page.write_text("| a | b | c |\n|---|---|---|\n| `x()` | `fern::spawn(f)`, `fern::Pool p(2)` | `x/a.hpp` |\n"
                        "| `y()` | *planned* | |\n")
        if check(root):
            return ["self-test: a correct table was rejected: " + "; ".join(check(root))]
        page.write_text(page.read_text() + "| `z()` | `fern::spwan(f)` | `x/a.hpp` |\n")
        if not any("spwan" in e for e in check(root)):
            return ["self-test: a misspelt name was not caught"]
        page.write_text(page.read_text() + "| `w()` | `fern::spawn()` | `x/missing.hpp` |\n")
        if not any("does not exist" in e for e in check(root)):
            return ["self-test: a missing header was not caught"]
    return []


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    errors = self_test() if sys.argv[1] == "--self-test" else check(pathlib.Path(sys.argv[1]))
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Reject #include directives that point up fern's layer table (docs: DESIGN.md, "Layers").

Every file under src/<layer>/ and include/fern/<layer>/ belongs to a layer. A file may include
`fern/<X>/...` only when X is its own layer or one the table lets it use. The table below is the
transitive closure of DESIGN.md's "may use" column, written out so a reader sees each layer's whole
reach at a glance.

Finer rules:
  * include/fern/*.hpp at the top level (the umbrella `fern.hpp`) are exempt, and no layer may
    include them: an umbrella header pulls in everything above you.
  * clients/<name> is its own unit: a client may use its own `proto/` and the layers in the table,
    never another client.
  * clients/<name>/proto is a sans-IO codec: it may include only base (and its own proto headers).
  * A folder or include target that is not in the table is reported, so a new layer is added here
    on purpose.

Usage:
  check_layers.py [ROOT]     scan ROOT (default: the repository holding this script)
  check_layers.py --self-test
Exit status 0 when clean, 1 on violations, 2 on usage errors.
"""

import contextlib
import os
import re
import sys
import tempfile

# Layer -> layers it may include (besides itself). Keep closed under transitivity.
_CORE = {"base", "context", "greenlet", "hub"}
_SYNC = _CORE | {"sync"}
_NET = _SYNC | {"io", "net"}
ALLOWED = {
    "base": set(),
    "context": {"base"},
    "greenlet": {"base", "context"},
    "hub": {"base", "context", "greenlet"},
    "driver": set(_CORE),
    "sync": set(_CORE),
    # io and net share one row of the table; net builds sockets on io's fd waiting and streams.
    "io": set(_SYNC),
    "net": _SYNC | {"io"},
    # http and the clients offer task forms of their greenlet-style objects (aio::Bridge).
    "http": _NET | {"aio"},
    # selectors need only base; their cooperative form parks on the hub.
    "selectors": set(_CORE),
    "loop": _CORE | {"selectors"},
    # tasks: their streams (open_connection, Server) resolve, connect and shake hands through net.
    "aio": set(_NET),
    # signals and subprocesses: signalfd and pidfd waited on through the hub.
    "process": set(_SYNC),
    "hook": set(_NET),
    "clients": _NET | {"aio"},
}
PROTO_ALLOWED = {"base"}

SOURCE_SUFFIXES = (".h", ".hh", ".hpp", ".hxx", ".ipp", ".inl", ".c", ".cc", ".cpp", ".cxx", ".S", ".s")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*[<"]fern/([^>"]+)[>"]')


def unit_of(parts):
    """Map path components below src/ or include/fern/ to a unit name, or None for top-level files.

    Units are a layer name ("hub"), a client ("clients/redis") or a client codec ("clients/redis/proto").
    """
    if len(parts) < 2:
        return None
    if parts[0] == "clients" and len(parts) >= 3:
        if len(parts) >= 4 and parts[2] == "proto":
            return "clients/%s/proto" % parts[1]
        return "clients/%s" % parts[1]
    return parts[0]


def layer_of(unit):
    return unit.split("/", 1)[0]


def check_edge(src_unit, dst_unit):
    """Return None when src_unit may include dst_unit, else the reason it may not."""
    if dst_unit is None:
        return "includes an umbrella header; include the concept's own header instead"
    if src_unit == dst_unit:
        return None
    if layer_of(dst_unit) not in ALLOWED:
        return "unknown layer '%s' (add it to the table in cmake/check_layers.py)" % layer_of(dst_unit)
    if src_unit.endswith("/proto"):
        if dst_unit in PROTO_ALLOWED:
            return None
        return "a sans-IO codec (%s) may include only: %s" % (src_unit, ", ".join(sorted(PROTO_ALLOWED)))
    src_layer, dst_layer = layer_of(src_unit), layer_of(dst_unit)
    if src_layer == "clients" and dst_layer == "clients":
        if dst_unit in (src_unit + "/proto", "clients"):  # own codec, or helpers shared by all clients
            return None
        return "%s may not use another client (%s)" % (src_unit, dst_unit)
    if dst_layer == src_layer or dst_layer in ALLOWED[src_layer]:
        return None
    reach = ", ".join(sorted(ALLOWED[src_layer])) or "nothing"
    return "layer '%s' may not use '%s' (it may use: %s)" % (src_layer, dst_layer, reach)


def scan_file(path, rel, src_unit):
    problems = []
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
    except OSError as e:
        return ["%s: cannot read: %s" % (rel, e)]
    for lineno, line in enumerate(lines, 1):
        m = INCLUDE_RE.match(line)
        if not m:
            continue
        target = m.group(1)
        reason = check_edge(src_unit, unit_of(target.split("/")))
        if reason:
            problems.append("%s:%d: #include <fern/%s>: %s" % (rel, lineno, target, reason))
    return problems


def scan_tree(root):
    """Return a list of human-readable violations for the tree at root."""
    problems = []
    for base in (os.path.join("src"), os.path.join("include", "fern")):
        top = os.path.join(root, base)
        if not os.path.isdir(top):
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for name in sorted(filenames):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                parts = os.path.relpath(path, top).split(os.sep)
                src_unit = unit_of(parts)
                if src_unit is None:
                    if base == "src":
                        problems.append("%s: file outside any layer folder" % rel)
                    continue  # include/fern/fern.hpp and other umbrella headers are exempt
                if layer_of(src_unit) not in ALLOWED:
                    problems.append("%s: unknown layer '%s' (add it to the table in cmake/check_layers.py)"
                                    % (rel, layer_of(src_unit)))
                    continue
                problems.extend(scan_file(path, rel, src_unit))
    return problems


def _write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def self_test():
    """Build small trees with known violations and check each is caught, and a clean tree passes."""
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    # The table must be closed: whatever a layer may use, it may use what that uses.
    for layer, reach in ALLOWED.items():
        expect(layer not in reach, "layer '%s' lists itself" % layer)
        for dep in reach:
            expect(dep in ALLOWED, "layer '%s' uses unknown layer '%s'" % (layer, dep))
            missing = ALLOWED.get(dep, set()) - reach
            expect(not missing, "table not transitive: %s uses %s, which uses %s" % (layer, dep, sorted(missing)))

    with tempfile.TemporaryDirectory(prefix="fern-layers-") as root:
        clean = {
            "include/fern/fern.hpp": "#include <fern/hub/hub.hpp>\n#include <fern/clients/redis/client.hpp>\n",
            "include/fern/base/error.hpp": "#pragma once\n#include <system_error>\n",
            "include/fern/greenlet/greenlet.hpp": '#include "fern/context/stack.hpp"\n#include <fern/base/error.hpp>\n',
            "src/hub/hub.cpp": "#include <fern/hub/hub.hpp>\n#include <fern/greenlet/greenlet.hpp>\n",
            "src/driver/uring/uring_driver.cpp": "#include <fern/hub/driver.hpp>\n#include <fern/driver/epoll.hpp>\n",
            "src/loop/loop.cpp": "#include <fern/selectors/selector.hpp>\n",
            "src/clients/redis/client.cpp": "#include <fern/clients/redis/proto/resp.hpp>\n#include <fern/net/socket.hpp>\n",
            "src/clients/redis/proto/resp.cpp": "#include <fern/clients/redis/proto/resp.hpp>\n#include <fern/base/error.hpp>\n",
            "src/net/socket.cpp": "  #  include <fern/io/wait.hpp>\n// #include <fern/http/x.hpp> is only a comment\n",
        }
        for rel, text in clean.items():
            _write(root, rel, text)
        got = scan_tree(root)
        expect(got == [], "clean tree reported violations: %r" % got)

        bad = {
            "src/base/error.cpp": "#include <fern/base/error.hpp>\n\n#include <fern/hub/hub.hpp>\n",
            "include/fern/context/stack.hpp": '#include "fern/greenlet/greenlet.hpp"\n',
            "src/clients/redis/proto/bad.cpp": "#include <fern/net/socket.hpp>\n",
            "src/clients/mysql/client.cpp": "#include <fern/clients/redis/proto/resp.hpp>\n",
            "src/sync/event.cpp": "#include <fern/fern.hpp>\n",
            "src/hub/hub2.cpp": "#include <fern/warp/drive.hpp>\n",
            "src/warp/drive.cpp": "#include <fern/base/error.hpp>\n",
            "src/io/wait.cpp": "#include <fern/net/socket.hpp>\n",
        }
        for rel, text in bad.items():
            _write(root, rel, text)
        got = scan_tree(root)
        expected_prefixes = [
            "include/fern/context/stack.hpp:1:",
            "src/base/error.cpp:3:",
            "src/clients/mysql/client.cpp:1:",
            "src/clients/redis/proto/bad.cpp:1:",
            "src/hub/hub2.cpp:1:",
            "src/io/wait.cpp:1:",
            "src/sync/event.cpp:1:",
            "src/warp/drive.cpp:",
        ]
        for prefix in expected_prefixes:
            expect(any(p.startswith(prefix) for p in got), "violation not caught: %s" % prefix)
        expect(len(got) == len(expected_prefixes),
               "expected %d violations, got %d: %r" % (len(expected_prefixes), len(got), got))

        # The command-line entry point must fail on this tree too.
        with open(os.devnull, "w") as devnull, \
                contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(devnull):
            status = main([root])
        expect(status == 1, "main() returned %r, not 1, on a tree with violations" % status)

    if failures:
        for f in failures:
            print("self-test FAILED: " + f, file=sys.stderr)
        return 1
    print("check_layers self-test passed (%d violation kinds caught)" % len(expected_prefixes))
    return 0


def main(argv):
    if argv and argv[0] == "--self-test":
        return self_test()
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(__doc__, file=sys.stderr)
        return 2
    root = argv[0] if argv else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if not os.path.isdir(os.path.join(root, "src")):
        print("check_layers: %s has no src/ folder" % root, file=sys.stderr)
        return 2
    problems = scan_tree(root)
    for p in problems:
        print(p)
    if problems:
        print("check_layers: %d include(s) point up the layer table" % len(problems), file=sys.stderr)
        return 1
    print("check_layers: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""check_layering.py: the part table of DESIGN.md, enforced.

Reads every C file of the tree and the link graph CMake wrote
(link-graph.txt, see the top-level CMakeLists.txt) and fails when

  - a file includes another part's private header (a header that is not in
    that part's include/ folder), or a public header of a part its own part
    may not use;
  - a part's public header includes a third-party header its part does not
    link PUBLIC (it would leak to every user of the part);
  - a part links, directly or through others, a part or library it must not
    (the protocol library knows no switch and no driver; the simulator never
    links the switch, the driver or libevent; the switch links neither the
    traffic model nor the simulator; reports do not link the switch).

Then it checks itself: the same checks run on the tree with a forbidden
include and a forbidden link added in memory must fail, so that this test
cannot pass by checking nothing.

usage: check_layering.py SOURCE_DIR LINK_GRAPH
"""
import os
import re
import sys

# Parts, bottom up: folder -> (library, parts it may use directly).
PARTS = {
    "common": ("bh_common", []),
    "scenarios": ("bh_scenario", ["common"]),
    "records": ("bh_records", ["common", "scenarios"]),
    "proto": ("bh_proto", ["common"]),
    "traffic": ("bh_traffic", ["common", "scenarios", "records"]),
    "traffic/driver": ("bh_driver",
                       ["common", "scenarios", "records", "proto", "traffic"]),
    "reports": ("bh_reports", ["common", "scenarios", "records", "traffic"]),
    "sim": ("bh_sim", ["common", "scenarios", "records", "traffic",
                       "reports"]),
    "switch": ("bh_switch", ["common", "scenarios", "records", "proto"]),
    "run": ("bh_run", ["common", "scenarios", "records", "proto", "traffic",
                       "traffic/driver", "reports", "sim", "switch"]),
    "cli": ("busyhour", ["common", "scenarios", "records", "proto", "traffic",
                         "traffic/driver", "reports", "sim", "switch",
                         "run"]),
}

# What must never be linked, even through another part (DESIGN.md).
FORBIDDEN = {
    "bh_proto": ["bh_switch", "bh_driver", "bh_sim", "bh_run"],
    "bh_sim": ["bh_switch", "bh_driver", "bh_run", "LIBEVENT"],
    "bh_traffic": ["bh_switch", "bh_driver", "bh_sim", "bh_reports",
                   "LIBEVENT"],
    "bh_switch": ["bh_traffic", "bh_sim", "bh_driver", "bh_reports",
                  "bh_run"],
    "bh_reports": ["bh_switch", "bh_driver", "bh_sim", "bh_run",
                   "LIBEVENT"],
    "bh_records": ["bh_traffic", "bh_sim", "bh_switch", "bh_reports",
                   "bh_driver", "LIBEVENT"],
    "bh_driver": ["bh_sim", "bh_switch", "bh_run"],
}

# Third-party headers a part's public header may include, with the part
# that must then link the library PUBLIC.
PUBLIC_THIRD_PARTY = {"traffic": ["gsl/"]}

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
SKIP_DIRS = {".git", "tests", "bench", "deps"}


def part_of(rel):
    """The part a path belongs to (longest folder match), or None."""
    best = None
    for p in PARTS:
        if rel == p or rel.startswith(p + "/"):
            if best is None or len(p) > len(best):
                best = p
    return best


def scan(src):
    """{relative path: text} of every .c/.h below the parts and tests."""
    files = {}
    for root, dirs, names in os.walk(src):
        rel_root = os.path.relpath(root, src)
        top = rel_root.split(os.sep)[0]
        dirs[:] = [d for d in dirs
                   if not d.startswith("build") and d not in (".git",)]
        if top in (".git", "deps") or top.startswith("build"):
            continue
        for n in names:
            if n.endswith((".c", ".h")):
                path = os.path.join(root, n)
                rel = os.path.relpath(path, src).replace(os.sep, "/")
                with open(path, encoding="utf-8", errors="replace") as f:
                    files[rel] = f.read()
    return files


def header_owners(files):
    """{header name: (part, public?)} for every part's headers."""
    owners = {}
    for rel in files:
        if not rel.endswith(".h") or rel.startswith(("tests/", "bench/")):
            continue
        p = part_of(rel)
        if p is None:
            continue
        inner = rel[len(p) + 1:]
        public = inner.startswith("include/") and inner.count("/") == 1
        # a sub-part's files belong to it, not to the part around it
        owners.setdefault(os.path.basename(rel), (p, public))
    return owners


def check_includes(files):
    errors = []
    owners = header_owners(files)
    for rel, text in sorted(files.items()):
        if rel.startswith("tests/unit/"):
            # a part's unit tests may read its private headers, nobody
            # else's
            seg = rel.split("/")
            me = seg[2] if len(seg) > 3 else None
            me = "scenarios" if me == "scenarios" else me
            if me == "traffic" and len(seg) > 4 and seg[3] == "driver":
                me = "traffic/driver"
            allowed = None
        elif rel.startswith(("tests/", "bench/")):
            me, allowed = None, None
        else:
            me = part_of(rel)
            if me is None:
                continue
            allowed = set(PARTS[me][1])
        for m in INCLUDE.finditer(text):
            quote, name = m.group(1), m.group(2)
            line = text.count("\n", 0, m.start()) + 1
            if quote == "<":
                if (me and allowed is not None and
                        rel.startswith(me + "/include/")):
                    ok = name.startswith(("sys/", "netinet/", "arpa/")) or \
                        "/" not in name or any(
                            name.startswith(t)
                            for t in PUBLIC_THIRD_PARTY.get(me, []))
                    if not ok:
                        errors.append(f"{rel}:{line}: public header includes "
                                      f"third-party <{name}>, which its part "
                                      f"does not link PUBLIC")
                continue
            base = os.path.basename(name)
            if base not in owners:
                continue  # a test's own helper header, or a system one
            owner, public = owners[base]
            if owner == me:
                continue
            if not public:
                errors.append(f"{rel}:{line}: includes \"{name}\", a private "
                              f"header of {owner}/")
            elif allowed is not None and owner not in allowed:
                errors.append(f"{rel}:{line}: {me}/ may not use {owner}/ "
                              f"(includes \"{name}\")")
    return errors


def read_graph(path):
    graph = {}
    with open(path) as f:
        for line in f:
            if ":" not in line:
                continue
            name, deps = line.split(":", 1)
            graph[name.strip()] = [d for d in deps.strip().split(";") if d]
    return graph


def norm(dep):
    """A link item as a name FORBIDDEN understands."""
    dep = dep.replace("$<LINK_ONLY:", "").rstrip(">")
    if dep.startswith("PkgConfig::"):
        return dep[len("PkgConfig::"):]
    return dep


def closure(graph, lib):
    seen, todo = set(), [lib]
    while todo:
        for d in graph.get(todo.pop(), []):
            d = norm(d)
            if d not in seen:
                seen.add(d)
                todo.append(d)
    return seen


def check_links(graph):
    errors = []
    for lib, banned in sorted(FORBIDDEN.items()):
        if lib not in graph:
            continue
        reach = closure(graph, lib)
        for b in banned:
            if b in reach:
                errors.append(f"{lib} links {b} (directly or through "
                              f"another part): forbidden by DESIGN.md")
    # direct links must follow the part table too
    libs = {v[0]: k for k, v in PARTS.items()}
    for lib, deps in sorted(graph.items()):
        if lib not in libs:
            continue
        allowed = {PARTS[p][0] for p in PARTS[libs[lib]][1]}
        for d in deps:
            d = norm(d)
            if d in libs and d not in allowed:
                errors.append(f"{lib} links {d}, not below it in the part "
                              f"table")
    return errors


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    src, graph_path = sys.argv[1], sys.argv[2]
    files = scan(src)
    graph = read_graph(graph_path)
    errors = check_includes(files) + check_links(graph)
    for e in errors:
        print(e)
    print(f"layering: {len(files)} files, {len(graph)} libraries, "
          f"{len(errors)} violations")

    # Self-check: a forbidden include and a forbidden link must be caught.
    bad = dict(files)
    bad["sim/sim.c"] = bad.get("sim/sim.c", "") + '\n#include "internal.h"\n'
    bad["proto/x.c"] = '#include "switch.h"\n'
    caught_inc = check_includes(bad)
    bad_graph = {k: list(v) for k, v in graph.items()}
    bad_graph.setdefault("bh_switch", []).append("bh_traffic")
    caught_link = check_links(bad_graph)
    if not any("sim/sim.c" in e and "private" in e for e in caught_inc) or \
            not any("proto/x.c" in e for e in caught_inc) or \
            not any("bh_switch links bh_traffic" in e for e in caught_link):
        print("self-check FAILED: injected violations were not caught")
        return 1
    print("self-check: injected private include, forbidden use and "
          "forbidden link all caught")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

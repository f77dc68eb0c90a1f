#!/usr/bin/env bash
# Finds import cycles between sibling modules: for each module directory
# under src/ (or the ones named, e.g. `load server`), which of its children
# name which other children (`super::x`, `super::{x, y}`, `super::super::x`
# from a child's own directory, `crate::load::x`), then prints every group
# of children that reach each other. Test-only code (`*_tests.rs`,
# `tests.rs`, and everything after a file's `#[cfg(test)]`) is left out.
# Exit 0 when there is no cycle, 1 when there is one. With `-v` it also
# prints every edge, which is how the directions in docs/architecture.md
# were read.
#
#   scripts/check-module-cycles.sh            # all of src/
#   scripts/check-module-cycles.sh load report
set -euo pipefail
cd "$(dirname "$0")/.."

exec python3 - "$@" <<'EOF'
import os, re, sys

args = sys.argv[1:]
verbose = "-v" in args
wanted = [a for a in args if a != "-v"]

def strip(text):
    cut = text.find("#[cfg(test)]")
    if cut >= 0:
        text = text[:cut]
    return "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("//"))

def names(text, prefix):
    found = set()
    for group in re.findall(re.escape(prefix) + r"\{([^}]*)\}", text):
        for item in group.split(","):
            head = item.strip().split("::")[0].split(" ")[0]
            if head:
                found.add(head)
    found.update(re.findall(re.escape(prefix) + r"(\w+)", text))
    return found

def module_dirs():
    for root, dirs, files in os.walk("src"):
        children = {f[:-3] for f in files if f.endswith(".rs") and f not in ("mod.rs", "main.rs", "lib.rs")}
        children |= set(dirs)
        if len(children) > 1:
            yield root, children

status = 0
for root, children in sorted(module_dirs()):
    rel = root[len("src/"):] if root != "src" else ""
    if wanted and rel not in wanted:
        continue
    crate_prefix = "crate::" + rel.replace("/", "::") + "::" if rel else "crate::"
    edges = {c: set() for c in children}
    for child in children:
        sources = []
        top = os.path.join(root, child + ".rs")
        if os.path.exists(top):
            sources.append((top, "super::"))
        sub = os.path.join(root, child)
        if os.path.isdir(sub):
            for dirpath, _, files in os.walk(sub):
                depth = dirpath[len(sub):].count("/")
                for f in files:
                    if not f.endswith(".rs"):
                        continue
                    # mod.rs is the child itself; other files are one level deeper.
                    up = depth + (0 if f == "mod.rs" else 1)
                    sources.append((os.path.join(dirpath, f), "super::" * (up + 1)))
        for path, prefix in sources:
            name = os.path.basename(path)
            if name == "tests.rs" or name.endswith("_tests.rs"):
                continue
            text = strip(open(path).read())
            used = names(text, prefix) | names(text, crate_prefix)
            edges[child] |= {u for u in used if u in children and u != child}
    # Strongly connected components (Tarjan).
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
    def visit(v):
        index[v] = low[v] = counter[0]; counter[0] += 1
        stack.append(v); on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w); low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v:
                    break
            sccs.append(comp)
    for v in sorted(children):
        if v not in index:
            visit(v)
    label = rel or "(crate root)"
    if verbose:
        for v in sorted(edges):
            if edges[v]:
                print(f"{label}: {v} -> {', '.join(sorted(edges[v]))}")
    for comp in sccs:
        if len(comp) > 1:
            status = 1
            inner = "; ".join(f"{v} -> {', '.join(sorted(edges[v] & set(comp)))}" for v in sorted(comp))
            print(f"cycle in {label}: {{{', '.join(sorted(comp))}}}: {inner}")
if status == 0:
    print("no import cycles between sibling modules")
sys.exit(status)
EOF

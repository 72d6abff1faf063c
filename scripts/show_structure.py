#!/usr/bin/env python3
"""Print the structure docs/ARCHITECTURE.md describes, from the sources (stdlib only):

1. the Python API: which agora_rtc modules each package imports;
2. the Cython engine module: the C headers `native.pxd` declares, public or engine-internal,
   and the hook methods the compiled `Connection` calls on its Python subclass;
3. the C engine: which file calls a function defined in which other file, and the groups
   of files that call each other in a circle (strongly connected components);
4. the C engine's layers (the folders of src/_native): which layer calls or includes which,
   calls against the layer order, and layers in a circle;
5. the threads: where each one is started.

Run: python scripts/show_structure.py [section...]   (sections: python cython c layers threads)
"""
from __future__ import annotations

import os
import re
import sys
from collections import defaultdict

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PY = os.path.join(ROOT, "src", "agora_rtc")
CORE = os.path.join(PY, "_core")
NATIVE = os.path.join(ROOT, "src", "_native")


# The C engine's layers, lowest first: a layer may call and include only the layers
# before it (docs/ARCHITECTURE.md). A file's layer is its first folder under src/_native.
C_LAYERS = ("core", "audio", "video", "engine", "net", "api")


def native_files(ext: str = ".c") -> list[str]:
    """The engine's files ending in ext, as paths relative to src/_native (no public headers)."""
    out = []
    for dirpath, _, names in os.walk(NATIVE):
        rel = os.path.relpath(dirpath, NATIVE)
        if rel == "include" or rel.startswith("include" + os.sep):
            continue
        out += [os.path.normpath(os.path.join(rel, n)) for n in names if n.endswith(ext)]
    return sorted(out)


def c_layer_of(path: str) -> str:
    return path.split(os.sep)[0] if os.sep in path else "(top)"


def c_calls() -> dict[str, set[str]]:
    """caller file -> files defining a non-static function it calls."""
    files = native_files()
    src = {f: re.sub(r"/\*.*?\*/|//[^\n]*", "", read(os.path.join(NATIVE, f)), flags=re.S) for f in files}
    owner = {}
    for f, text in src.items():   # non-static functions defined at the start of a line
        for m in re.finditer(r"^(?!static)[A-Za-z_][\w \*]*?\b(\w+)\s*\([^;{]*\)\s*\{", text, re.M):
            owner.setdefault(m.group(1), f)
    edges = defaultdict(set)
    for f, text in src.items():
        for name in set(re.findall(r"\b(\w+)\s*\(", text)):
            g = owner.get(name)
            if g and g != f:
                edges[f].add(g)
    return edges


def c_includes() -> dict[str, set[str]]:
    """file -> engine-internal headers it includes (paths relative to src/_native)."""
    edges = defaultdict(set)
    for f in native_files(".c") + native_files(".h"):
        for inc in re.findall(r'^#include "([^"]+)"', read(os.path.join(NATIVE, f)), re.M):
            if os.path.exists(os.path.join(NATIVE, inc)):
                edges[f].add(os.path.normpath(inc))
    return edges


def circles(edges: dict[str, set[str]], nodes: list[str]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in nodes:
        if v not in index:
            visit(v)
    return sccs


def read(path: str) -> str:
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def python_layer() -> None:
    print("== Python API: agora_rtc modules imported, per package ==")
    imports = defaultdict(set)
    for dirpath, _, files in os.walk(PY):
        for f in files:
            if not f.endswith((".py", ".pyx", ".pxi")):
                continue
            rel = os.path.relpath(os.path.join(dirpath, f), PY)
            pkg = rel.split(os.sep)[0] if os.sep in rel else rel
            for m in re.finditer(r"^\s*(?:from|import)\s+(agora_rtc(?:\.\w+)*)", read(os.path.join(dirpath, f)), re.M):
                target = m.group(1).split(".")
                imports[pkg].add(".".join(target[:2]) if len(target) > 1 else "agora_rtc")
    for pkg in sorted(imports):
        print(f"  {pkg:28s} -> {', '.join(sorted(imports[pkg]))}")


def cython_layer() -> None:
    print("== Cython engine module: headers declared in native.pxd ==")
    public = set(os.listdir(os.path.join(NATIVE, "include", "agora_rtc")))
    for header in sorted(set(re.findall(r'cdef extern from "([^"]+)"', read(os.path.join(CORE, "native.pxd"))))):
        name = os.path.basename(header)
        where = "public (include/agora_rtc)" if header.startswith("agora_rtc/") and name in public \
            else "ENGINE-INTERNAL (src/_native)"
        print(f"  {header:32s} {where}")
    print("== Cython engine module: methods the compiled Connection calls but does not define ==")
    text = "".join(read(os.path.join(CORE, f)) for f in sorted(os.listdir(CORE)) if f.endswith((".pyx", ".pxi")))
    defined = set(re.findall(r"^\s*(?:c?p?def|cdef)\s+(?:[\w\s\*\.]+[\s\*])?(\w+)\s*\(", text, re.M))
    defined |= set(re.findall(r"^\s*cdef\s+(?:public\s+|readonly\s+)?[\w\.]+\s+(\w+)", text, re.M))
    called = sorted(set(re.findall(r"self(?:\._owner)?\.(_\w+)\(", text)) - defined)
    print("  " + (", ".join(called) if called else "(none)"))


def c_layer() -> None:
    print("== C engine: calls between files (caller -> files defining the callee) ==")
    edges = c_calls()
    files = native_files()
    for f in files:
        if edges[f]:
            print(f"  {f:32s} -> {', '.join(sorted(edges[f]))}")
    print("== C engine: files calling each other in a circle ==")
    sccs = circles(edges, files)
    for comp in sccs:
        print(f"  {len(comp)} files: {', '.join(comp)}")
    if not sccs:
        print("  (none)")


def c_layers() -> None:
    print("== C engine layers (folders of src/_native, lowest first: " + " < ".join(C_LAYERS) + ") ==")
    files = native_files() + native_files(".h")
    layer_edges = defaultdict(set)
    against = []
    for kind, edges in (("calls", c_calls()), ("includes", c_includes())):
        for f, targets in edges.items():
            for g in targets:
                a, b = c_layer_of(f), c_layer_of(g)
                if a == b:
                    continue
                layer_edges[a].add(b)
                if a not in C_LAYERS or b not in C_LAYERS or C_LAYERS.index(b) > C_LAYERS.index(a):
                    against.append(f"{f} {kind} {g}")
    for layer in C_LAYERS:
        count = sum(c_layer_of(f) == layer for f in files)
        uses = ", ".join(sorted(layer_edges[layer], key=lambda x: C_LAYERS.index(x) if x in C_LAYERS else -1))
        print(f"  {layer:8s} {count:3d} files -> {uses or '(nothing)'}")
    outside = sorted(f for f in files if c_layer_of(f) not in C_LAYERS)
    print("== C engine: files outside the layers ==")
    print("  " + (", ".join(outside) if outside else "(none)"))
    print("== C engine: calls and includes against the layer order (a lower layer using a higher one) ==")
    for line in sorted(set(against)):
        print("  " + line)
    if not against:
        print("  (none)")
    print("== C engine: layers in a circle ==")
    sccs = circles(layer_edges, list(C_LAYERS))
    for comp in sccs:
        print("  " + ", ".join(comp))
    if not sccs:
        print("  (none)")


def threads() -> None:
    print("== Threads: where each is started ==")
    for f in native_files():
        if True:
            for n, line in enumerate(read(os.path.join(NATIVE, f)).splitlines(), 1):
                m = re.search(r"pthread_create\([^,]+,\s*[^,]+,\s*(\w+)", line)
                if m:
                    print(f"  C       src/_native/{f}:{n}: {m.group(1)}")
    for dirpath, _, fs in os.walk(PY):
        for f in sorted(fs):
            if f.endswith((".py", ".pxi", ".pyx")):
                path = os.path.join(dirpath, f)
                for n, line in enumerate(read(path).splitlines(), 1):
                    m = re.search(r"threading\.Thread\(.*?name=(f?\"[^\"]+\")", line) or \
                        (re.search(r"threading\.Thread\(", line) and re.search(r"(target=[\w\.]+)", line))
                    if m:
                        print(f"  Python  {os.path.relpath(path, ROOT)}:{n}: {m.group(1)}")


SECTIONS = {"python": python_layer, "cython": cython_layer, "c": c_layer, "layers": c_layers,
            "threads": threads}

if __name__ == "__main__":
    for name in sys.argv[1:] or list(SECTIONS):
        if name not in SECTIONS:
            sys.exit(f"unknown section {name!r}; one of {', '.join(SECTIONS)}")
        SECTIONS[name]()

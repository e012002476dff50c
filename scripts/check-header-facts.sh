#!/usr/bin/env bash
# Compare the facts of our public headers (include/) with libssh2 1.11.1's.
#
# Nothing is compared as text: programs generated from upstream's headers are
# compiled once against each header set and their outputs are compared.
#   constants   every object-like #define with a value, and every enumerator:
#               value and C type (via _Generic), strings byte for byte
#   macros      every function-like macro: its full expansion (gcc -E) for
#               placeholder arguments, whitespace ignored; every empty
#               object-like macro: defined or not
#   functions   the set of declared functions, and each one's exact type
#               (C++ typeid of its address, so const-ness and widths count)
#   typedefs    the set of typedef names and each one's exact type
#   layout      tests/c/abi_layout.c (every public struct: size, alignment,
#               member offsets and sizes)
# Names that exist on one side only count as differences, except our
# documented additions (OUR_EXTENSIONS).
#
# Usage: scripts/check-header-facts.sh [--require]
#   Without the upstream source (scripts/fetch-upstream.sh needs root once)
#   the check is skipped with exit 0, or fails with --require.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
require=0
[ "${1:-}" = "--require" ] && require=1

if ! upstream="$("$root/scripts/fetch-upstream.sh" libssh2)"; then
    if [ "$require" -eq 1 ]; then
        echo "check-header-facts: upstream source unavailable" >&2
        exit 1
    fi
    echo "check-header-facts: SKIP (upstream source unavailable)"
    exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

exec python3 - "$upstream/include" "$root/include" "$root/tests/c/abi_layout.c" "$work" <<'PY'
import os
import re
import subprocess
import sys

UP_INC, OUR_INC, LAYOUT_C, WORK = sys.argv[1:5]
HEADERS = ("libssh2.h", "libssh2_sftp.h", "libssh2_publickey.h")
CC = os.environ.get("CC", "gcc")
CXX = os.environ.get("CXX", "g++")


def run(cmd, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if res.returncode != 0:
        sys.stderr.write("command failed: %s\n%s%s" % (" ".join(cmd), res.stdout, res.stderr))
        sys.exit(2)
    return res.stdout


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def read_defines(inc):
    """name -> (kind, nparams): kind is 'value', 'empty' or 'function'."""
    out = {}
    for h in HEADERS:
        with open(os.path.join(inc, h)) as f:
            text = strip_comments(f.read().replace("\\\n", " "))
        for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(\w+)(\([^)]*\))?(.*)$", text, re.M):
            name, params, body = m.group(1), m.group(2), m.group(3).strip()
            if params is not None:
                n = len([p for p in params[1:-1].split(",") if p.strip()])
                out[name] = ("function", n)
            elif body:
                out[name] = ("value", 0)
            else:
                out[name] = ("empty", 0)
    return out


def preprocessed(inc):
    """Text of the three headers after preprocessing, system headers left out."""
    src = os.path.join(WORK, "pp.c")
    with open(src, "w") as f:
        f.write("".join('#include "%s"\n' % h for h in HEADERS))
    text = run([CC, "-E", "-DLIBSSH2_DISABLE_DEPRECATION", "-I", inc, src])
    keep, mine = [], False
    for line in text.splitlines():
        m = re.match(r'^# \d+ "([^"]*)"', line)
        if m:
            mine = os.path.basename(m.group(1)) in HEADERS
            continue
        if mine:
            keep.append(line)
    text = "\n".join(keep)
    return re.sub(r'"(\\.|[^"\\])*"', '""', text)


def statements(text):
    """Top-level declarations (split at ';' outside braces and parentheses)."""
    out, depth, cur = [], 0, []
    for ch in text:
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        if ch == ";" and depth == 0:
            out.append(" ".join("".join(cur).split()))
            cur = []
        else:
            cur.append(ch)
    return [s for s in out if s]


def declarations(inc):
    funcs, typedefs, enums = set(), set(), []
    text = preprocessed(inc)
    for s in statements(text):
        if s.startswith("typedef"):
            outer = re.sub(r"\{.*\}", "{}", s)  # members are not typedef names
            m = re.search(r"\(\s*\*?\s*(\w+)\s*\)\s*\(", outer)
            name = m.group(1) if m else re.findall(r"\w+", outer)[-1]
            typedefs.add(name)
            em = re.match(r"typedef enum\s*\{(.*)\}", s)
            if em:
                enums += [e.split("=")[0].strip() for e in em.group(1).split(",") if e.strip()]
        elif s.startswith("extern \"C\"") or s.startswith("}"):
            continue
        else:
            s = re.sub(r'^extern ""\s*\{', "", s).strip()
            m = re.search(r"\b(libssh2_\w+)\s*\(", s)
            if m:
                funcs.add(m.group(1))
    return funcs, typedefs, enums


up_defs, our_defs = read_defines(UP_INC), read_defines(OUR_INC)
up_funcs, up_types, up_enums = declarations(UP_INC)
our_funcs, our_types, our_enums = declarations(OUR_INC)

includes = "".join('#include "%s"\n' % h for h in HEADERS)

# ---- constants: values and types ------------------------------------------
const_names = sorted({n for n, (k, _) in list(up_defs.items()) + list(our_defs.items()) if k == "value"})
enum_names = sorted(set(up_enums) | set(our_enums))
prog = [includes, r"""
#include <stdio.h>
#define CTYPE(x) _Generic((x), int: "int", unsigned int: "unsigned int", \
    long: "long", unsigned long: "unsigned long", long long: "long long", \
    unsigned long long: "unsigned long long", char *: "string", \
    const char *: "string", default: "other")
static void ps(const char *n, const char *t, const char *v) {
    printf("%s %s \"", n, t);
    for (; *v; v++) {
        if (*v >= 32 && *v < 127 && *v != '\\' && *v != '"') putchar(*v);
        else printf("\\x%02x", (unsigned char)*v);
    }
    printf("\"\n");
}
static void pi(const char *n, const char *t, long long v) { printf("%s %s %lld\n", n, t, v); }
static void pu(const char *n, const char *t, unsigned long long v) { printf("%s %s %llu\n", n, t, v); }
#define P(x) _Generic((x), char *: ps, const char *: ps, unsigned int: pu, \
    unsigned long: pu, unsigned long long: pu, default: pi)(#x, CTYPE(x), (x))
int main(void) {
"""]
for n in const_names:
    prog.append("#ifdef %s\n P(%s);\n#else\n puts(\"%s undefined\");\n#endif\n" % (n, n, n))
for n in enum_names:
    if n in up_enums and n in our_enums:
        prog.append(" P(%s);\n" % n)
prog.append(" return 0;\n}\n")


def run_c(inc, source, tag, std="-std=c11"):
    src = os.path.join(WORK, tag + ".c")
    exe = os.path.join(WORK, tag + ".bin")
    with open(src, "w") as f:
        f.write(source)
    run([CC, std, "-w", "-DLIBSSH2_DISABLE_DEPRECATION", "-I", inc, src, "-o", exe])
    return run([exe])


def lines_to_map(text):
    out = {}
    for line in text.splitlines():
        key, _, val = line.partition(" ")
        out[key] = val
    return out


results = []  # (category, equal, [problems])


# Our documented additions (docs/compat.md), absent from upstream on purpose.
OUR_EXTENSIONS = {"LIBSSH2_FLAG_SFTP_WRITE_BEHIND"}


def compare(category, up, ours):
    equal, problems = 0, []
    for k in sorted(set(up) | set(ours)):
        if k in OUR_EXTENSIONS and up.get(k, "undefined") == "undefined":
            continue
        if k not in ours:
            problems.append("%s: missing from ours (upstream: %s)" % (k, up[k]))
        elif k not in up:
            problems.append("%s: not in upstream (ours: %s)" % (k, ours[k]))
        elif up[k] != ours[k]:
            problems.append("%s: upstream %s, ours %s" % (k, up[k], ours[k]))
        else:
            equal += 1
    results.append((category, equal, problems))


source = "".join(prog)
up_vals = lines_to_map(run_c(UP_INC, source, "values_up"))
our_vals = lines_to_map(run_c(OUR_INC, source, "values_ours"))
for n in enum_names:
    if n not in up_enums:
        our_vals.setdefault(n, "enumerator")
    if n not in our_enums:
        up_vals.setdefault(n, "enumerator")
compare("constants", up_vals, our_vals)

# ---- macros: expansions and presence ----------------------------------------
def macro_facts(inc, defs_by_name):
    fn = sorted(n for n, (k, _) in defs_by_name.items() if k == "function")
    empty = sorted(n for n, (k, _) in defs_by_name.items() if k == "empty")
    src = [includes]
    for n in fn:
        args = ",".join("ARG%d" % i for i in range(defs_by_name[n][1]))
        src.append("#ifdef %s\n@@%s@@ %s(%s)\n#else\n@@%s@@ undefined\n#endif\n" % (n, n, n, args, n))
    for n in empty:
        src.append("#ifdef %s\n@@%s@@ defined\n#else\n@@%s@@ undefined\n#endif\n" % (n, n, n))
    path = os.path.join(WORK, "expand.c")
    with open(path, "w") as f:
        f.write("".join(src))
    out = {}
    for line in run([CC, "-E", "-P", "-I", inc, path]).splitlines():
        m = re.match(r"^\s*@@(\w+)@@\s*(.*)$", line)
        if m:
            out[m.group(1)] = "".join(m.group(2).split())
    return out


all_macro_defs = dict(our_defs)
all_macro_defs.update(up_defs)  # upstream's arity wins where both define it
macro_defs = {n: d for n, d in all_macro_defs.items() if d[0] != "value"}
up_macros = {k: v for k, v in macro_facts(UP_INC, macro_defs).items() if k in up_defs}
our_macros = {k: v for k, v in macro_facts(OUR_INC, macro_defs).items() if k in our_defs}
compare("macros", up_macros, our_macros)

# ---- functions and typedefs: exact C++ types -----------------------------------
def cxx_types(inc, funcs, typedefs):
    src = [includes, r"""
#include <cstdio>
#include <cstdlib>
#include <cxxabi.h>
#include <typeinfo>
static void show(const char *name, const std::type_info &t) {
    int status = 0;
    char *d = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
    std::printf("%s %s\n", name, status == 0 ? d : t.name());
    std::free(d);
}
int main() {
"""]
    for f in sorted(funcs):
        src.append(" show(\"%s\", typeid(&%s));\n" % (f, f))
    for t in sorted(typedefs):
        src.append(" show(\"%s\", typeid(%s *));\n" % (t, t))
    src.append(" return 0;\n}\n")
    path = os.path.join(WORK, "types.cpp")
    exe = os.path.join(WORK, "types.bin")
    with open(path, "w") as f:
        f.write("".join(src))
    run([CXX, "-w", "-DLIBSSH2_DISABLE_DEPRECATION", "-I", inc, path, "-o", exe])
    return lines_to_map(run([exe]))


both_funcs = up_funcs & our_funcs
both_types = up_types & our_types
up_cxx = cxx_types(UP_INC, both_funcs, both_types)
our_cxx = cxx_types(OUR_INC, both_funcs, both_types)
for n in up_funcs - our_funcs:
    up_cxx[n] = "function"
for n in our_funcs - up_funcs:
    our_cxx[n] = "function"
for n in up_types - our_types:
    up_cxx[n] = "typedef"
for n in our_types - up_types:
    our_cxx[n] = "typedef"
compare("functions", {k: v for k, v in up_cxx.items() if k in up_funcs},
        {k: v for k, v in our_cxx.items() if k in our_funcs})
compare("typedefs", {k: v for k, v in up_cxx.items() if k in up_types},
        {k: v for k, v in our_cxx.items() if k in our_types})

# ---- struct layout -----------------------------------------------------------
with open(LAYOUT_C) as f:
    layout_src = f.read()
compare("layout", lines_to_map(run_c(UP_INC, layout_src, "layout_up", "-std=c99")),
        lines_to_map(run_c(OUR_INC, layout_src, "layout_ours", "-std=c99")))

# ---- report ------------------------------------------------------------------
bad = 0
for category, equal, problems in results:
    for p in problems:
        print("DIFF %-9s %s" % (category, p))
for category, equal, problems in results:
    print("%-9s %d equal, %d differ/missing" % (category + ":", equal, len(problems)))
    bad += len(problems)
print("header facts: %s" % ("OK" if bad == 0 else "%d difference(s)" % bad))
sys.exit(1 if bad else 0)
PY

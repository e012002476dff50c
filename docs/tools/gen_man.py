#!/usr/bin/env python3
"""Generate docs/man/*.3 from docs/tools/pages/*.toml and the public headers.

    docs/tools/gen_man.py            # (re)write docs/man/*.3
    docs/tools/gen_man.py --check    # exit 1 if a committed page is stale
    docs/tools/gen_man.py --partial  # render what the data has (while writing it)

The prototypes in SYNOPSIS are not written by hand: they are parsed from
include/libssh2.h, include/libssh2_sftp.h and include/libssh2_publickey.h,
so a page can never disagree with the header it documents. Everything else
(summary, argument text, return value, errors, blocking behaviour,
availability, see also) comes from pages/*.toml.

Text markup in pages/*.toml (kept small on purpose):
  blank line          new paragraph
  "- item"            bullet list item
  "TERM:: text"       tagged paragraph, TERM in bold
  *word*              italic (argument names); \\* inside is a literal star
  `code`              bold (constants, literal values)
  name(3)             cross reference, set in bold
  LIBSSH2_FOO         constants are set in bold automatically
A page for a function-like macro inherits the argument texts, return value
and errors of the function it expands to, unless it gives its own.
Needs Python 3.11+ (tomllib); no third-party modules.
"""

import os
import re
import sys
import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADERS = ["libssh2.h", "libssh2_sftp.h", "libssh2_publickey.h"]
DATA = os.path.join(ROOT, "docs", "tools", "pages")
OUT = os.path.join(ROOT, "docs", "man")
# Widest synopsis line before a prototype is folded (man indents by 7 columns
# and the test renders at 80).
SYNOPSIS_WIDTH = 72
FOLD_INDENT = "    "


# ---------------------------------------------------------------------------
# Header parsing


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def split_params(plist):
    """Split a parameter list at top-level commas."""
    out, depth, cur = [], 0, ""
    for ch in plist:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def param_name(param):
    """The declared name of one parameter (callback macros included)."""
    m = re.search(r"\(\(\*(\w+)\)\)", param)
    if m:
        return m.group(1)
    m = re.search(r"(\w+)\s*(\[\s*\])?\s*$", param)
    return m.group(1) if m else param


def parse_headers():
    """Return (functions, macros) parsed from the public headers.

    functions: name -> {header, ret, params: [str], names: [str]}
    macros:    name -> {header, args: [str], body: [lines]}
    """
    functions, macros = {}, {}
    for header in HEADERS:
        with open(os.path.join(ROOT, "include", header), encoding="utf-8") as f:
            raw = f.read()
        # Function-like macros named libssh2_* (lower case: the API spellings).
        logical = re.sub(r"\\\n", " ", raw)
        for m in re.finditer(r"^#define (libssh2_\w+)\(([^)]*)\)(.*)$", logical, re.M):
            macros[m.group(1)] = {
                "header": header,
                "args": [a.strip() for a in m.group(2).split(",") if a.strip()],
                "body": " ".join(m.group(3).split()),
            }
        # Exported functions: every LIBSSH2_API declaration.
        text = strip_comments(raw)
        text = re.sub(r"^\s*#.*$", "", text, flags=re.M)
        text = re.sub(r"LIBSSH2_DEPRECATED\([^()]*(\([^()]*\))?[^()]*\)", "", text)
        for m in re.finditer(r"LIBSSH2_API\s+([^;]*?)\b(libssh2_\w+)\s*\((.*?)\)\s*;", text, re.S):
            ret = " ".join(m.group(1).split())
            name = m.group(2)
            params = [" ".join(p.split()) for p in split_params(m.group(3))]
            functions[name] = {
                "header": header,
                "ret": ret,
                "params": params,
                "names": [param_name(p) for p in params if p != "void"],
            }
    return functions, macros


def macro_target(macro):
    m = re.match(r"\s*(libssh2_\w+)\s*\(", macro["body"])
    return m.group(1) if m else None


# ---------------------------------------------------------------------------
# Rendering


def roff_escape(s):
    return s.replace("\\", "\\e")


def inline(s):
    """Apply the inline markup of pages/*.toml to one line of text."""
    s = roff_escape(s.replace("\\*", "\0"))
    s = re.sub(r"`([^`]+)`", lambda m: "\\fB" + m.group(1) + "\\fP", s)
    s = re.sub(r"\*([^*\s][^*]*)\*", lambda m: "\\fI" + m.group(1) + "\\fP", s)
    s = re.sub(r"(?<![\\\w])(libssh2_\w+)\(3\)", r"\\fB\1\\fP(3)", s)
    s = re.sub(r"(?<![\\\w])((?:LIBSSH2|SSH|LIBSSH2SFTP|LIBSSH2CHANNEL)_[A-Z0-9_]+)\b(?!\\fP)", r"\\fB\1\\fP", s)
    # Nested \fB inside \fB from the two rules above: flatten.
    s = s.replace("\\fB\\fB", "\\fB").replace("\\fP\\fP", "\\fP")
    s = s.replace("\0", "*")  # an escaped literal star, e.g. *\*buf* for "*buf"
    if s.startswith(".") or s.startswith("'"):
        s = "\\&" + s
    return s


def block(text):
    """Turn a pages/*.toml text block into roff lines."""
    out = []
    paras = re.split(r"\n\s*\n", text.strip())
    for para in paras:
        lines = [l.rstrip() for l in para.strip().split("\n")]
        cur = []

        def flush():
            if cur:
                out.append(".PP")
                out.extend(inline(" ".join(cur)).split("\n"))
                cur.clear()

        item = None
        for line in lines:
            if line.startswith("- "):
                flush()
                if item:
                    out.append(".IP \\(bu 2")
                    out.append(inline(" ".join(item)))
                item = [line[2:].strip()]
            elif re.match(r"^\S.*?::\s", line):
                flush()
                if item:
                    out.append(".IP \\(bu 2")
                    out.append(inline(" ".join(item)))
                    item = None
                term, desc = line.split("::", 1)
                out.append(".TP")
                out.append("\\fB" + roff_escape(term.strip()) + "\\fP")
                out.append(inline(desc.strip()))
            elif item is not None:
                item.append(line.strip())
            elif out and out[-1] != ".PP" and not cur and out[-2:-1] == [".TP"] and False:
                pass
            else:
                cur.append(line.strip())
        if item:
            out.append(".IP \\(bu 2")
            out.append(inline(" ".join(item)))
        flush()
    # A paragraph directly after a tagged or bullet item would be indented
    # under it; .PP resets that, which is what we want, so nothing to do.
    return out


def section_body(text):
    """block() without a leading paragraph break (right after .SH)."""
    out = block(text)
    return out[1:] if out[:1] == [".PP"] else out


def fold_prototype(ret, name, params):
    """Format a declaration for SYNOPSIS within SYNOPSIS_WIDTH columns."""
    one = f"{ret} {name}({', '.join(params) or 'void'});"
    if ret.endswith("*"):
        one = f"{ret}{name}({', '.join(params) or 'void'});"
    if len(one) <= SYNOPSIS_WIDTH:
        return [one]
    head = ret
    lines = [head]
    opening = f"{name}("
    pad = " " * len(opening)
    if len(pad) + max(len(p) for p in params) + 2 > SYNOPSIS_WIDTH:
        lines.append(opening)
        lines.extend(FOLD_INDENT + p + ("," if i < len(params) - 1 else ");") for i, p in enumerate(params))
        return lines
    cur = opening
    for i, p in enumerate(params):
        piece = p + ("," if i < len(params) - 1 else ");")
        if cur == opening:
            cur += piece
        elif len(cur) + 1 + len(piece) <= SYNOPSIS_WIDTH:
            cur += " " + piece
        else:
            lines.append(cur)
            cur = pad + piece
    lines.append(cur)
    return lines


def fold_macro(name, args, body):
    """#define line(s) for a function-like macro, folded with backslashes."""
    whole = f"#define {name}({', '.join(args)}) {body}"
    if len(whole) <= SYNOPSIS_WIDTH:
        return [whole]
    # Break points: after ", " and before " | "; the expansion starts a line.
    head = f"#define {name}({', '.join(args)})"
    pieces = re.split(r"(?<=,) | (?=\|)", head) + ["\n"] + re.split(r"(?<=,) | (?=\|)", body)
    lines, cur = [], ""
    for p in pieces:
        if p == "\n":
            lines.append(cur)
            cur = FOLD_INDENT
            continue
        if cur.strip() and len(cur) + 1 + len(p) + 2 > SYNOPSIS_WIDTH:
            lines.append(cur)
            cur = FOLD_INDENT + FOLD_INDENT + p
        else:
            cur = cur + (" " if cur.strip() else "") + p
    lines.append(cur)
    return [l + " \\" for l in lines[:-1]] + [lines[-1]]


ERROR_TEXT = {}  # filled from pages/*.toml [errors]
BLOCKING_TEXT = {}  # filled from pages/*.toml [blocking]
ERROR_GROUPS = {}  # filled from pages/*.toml [error_groups]
COMMON_ARGS = {}  # filled from pages/*.toml [common_args]: fallback argument texts


def expand_errors(errs):
    """Expand "@group" entries; a code the page lists itself keeps its own text."""
    own = {e.split(":", 1)[0].strip() for e in errs if not e.startswith("@")}

    def walk(items, top):
        for e in items:
            if e.startswith("@"):
                yield from walk(ERROR_GROUPS[e[1:]], False)
            elif top or e.split(":", 1)[0].strip() not in own:
                yield e

    out, seen = [], set()
    for it in walk(errs, True):
        code = it.split(":", 1)[0].strip()
        if code not in seen:
            seen.add(code)
            out.append(it)
    return out


def render_page(name, page, functions, macros, pages, meta):
    func = functions.get(name)
    macro = macros.get(name)
    if not func and not macro:
        raise SystemExit(f"gen_man: {name} is neither an exported function nor a macro in include/")
    target = macro_target(macro) if macro else None
    tpage = pages.get(target, {}) if target else {}
    tfunc = functions.get(target) if target else None

    out = [
        ".\\\" Generated by docs/tools/gen_man.py from docs/tools/pages/*.toml; edit those.",
        ".\\\" SPDX-License-Identifier: BSD-3-Clause",
        f'.TH {name} 3 "{meta["date"]}" "libssh2-rs {meta["version"]}" "libssh2 API manual"',
        ".nh",
        ".ad l",
        ".SH NAME",
        f"{roff_escape(name)} \\- {inline(page['summary'])}",
        ".SH SYNOPSIS",
        ".nf",
    ]
    header = (func or macro)["header"]
    out.append(f"#include <{header}>")
    out.append("")
    if func:
        out.extend(roff_escape(l) for l in fold_prototype(func["ret"], name, func["params"]))
    else:
        out.extend(roff_escape(l) for l in fold_macro(name, macro["args"], macro["body"]))
        if tfunc:
            out.append("")
            out.append("/* which expands to a call of: */")
            out.extend(roff_escape(l) for l in fold_prototype(tfunc["ret"], target, tfunc["params"]))
    out.append(".fi")

    out.append(".SH DESCRIPTION")
    if macro and target:
        kind = "a convenience macro" if tfunc else "a macro"
        lead = page.get("lead", f"*{name}* is {kind} around {target}(3)")
        out.extend(block(lead + ". " + page["desc"] if "desc" in page else lead + "."))
    else:
        out.extend(block(page["desc"]))
    # Arguments, in declaration order.
    arg_names = func["names"] if func else macro["args"]
    arg_text = dict(COMMON_ARGS)
    arg_text.update(tpage.get("args", {}))
    arg_text.update(page.get("args", {}))
    missing = [a for a in arg_names if a not in arg_text]
    if missing:
        raise SystemExit(f"gen_man: {name}: no text for argument(s) {', '.join(missing)}")
    if arg_names:
        out.append(".PP")
        out.append("Arguments:")
        for a in arg_names:
            out.append(".TP")
            out.append(f"\\fI{a}\\fP")
            body = block(arg_text[a])
            if body and body[0] == ".PP":
                body = body[1:]
            out.extend(body)
    extra = page.get("notes")
    if extra:
        out.extend(block(extra))

    ret = page.get("returns") or tpage.get("returns")
    if not ret:
        raise SystemExit(f"gen_man: {name}: no RETURN VALUE text")
    out.append(".SH RETURN VALUE")
    out.extend(section_body(ret))

    errs = page.get("errors", tpage.get("errors"))
    if errs is None:
        raise SystemExit(f"gen_man: {name}: no errors list (use [] when none)")
    errs = expand_errors(errs)
    out.append(".SH ERRORS")
    if not errs:
        out.append(page.get("errors_none", tpage.get("errors_none", "This call does not fail with a library error code.")))
    for e in errs:
        code, _, text = e.partition(":")
        code = code.strip()
        text = text.strip() or ERROR_TEXT.get(code)
        if text is None:
            raise SystemExit(f"gen_man: {name}: no text for {code}")
        out.append(".TP")
        out.append(f"\\fB{code}\\fP")
        out.append(inline(text))

    blocking = page.get("blocking", tpage.get("blocking"))
    if blocking is None:
        raise SystemExit(f"gen_man: {name}: no blocking text")
    out.append(".SH BLOCKING")
    out.extend(section_body(BLOCKING_TEXT.get(blocking, blocking)))

    since = page.get("since", tpage.get("since"))
    if not since:
        raise SystemExit(f"gen_man: {name}: no availability")
    out.append(".SH AVAILABILITY")
    if since == "early":
        avail = "Part of the libssh2 API since its early (0.x) releases."
    else:
        avail = since if " " in since else f"Added in libssh2 {since}."
    if page.get("deprecated"):
        avail += " " + page["deprecated"]
    avail += f" Provided by this library with the behaviour of libssh2 {meta['version']}."
    out.extend(section_body(avail))

    see = list(page.get("see", []))
    if target and target not in see:
        see.insert(0, target)
    see = [s for s in see if s != name]
    if see:
        out.append(".SH SEE ALSO")
        for i, s in enumerate(see):
            out.append(f".BR {s} (3)" + ("," if i < len(see) - 1 else ""))
    return "\n".join(out) + "\n"


def main():
    check = "--check" in sys.argv[1:]
    functions, macros = parse_headers()
    data = {"page": {}, "errors": {}, "blocking": {}, "error_groups": {}, "common_args": {}}
    for fname in sorted(os.listdir(DATA)):
        if not fname.endswith(".toml"):
            continue
        with open(os.path.join(DATA, fname), "rb") as f:
            part = tomllib.load(f)
        for key, value in part.items():
            if key == "meta":
                data["meta"] = value
                continue
            dup = set(data.setdefault(key, {})) & set(value)
            if dup:
                raise SystemExit(f"gen_man: {fname}: {key} entries defined twice: {sorted(dup)}")
            data[key].update(value)
    COMMON_ARGS.update(data["common_args"])
    ERROR_TEXT.update(data["errors"])
    BLOCKING_TEXT.update(data["blocking"])
    ERROR_GROUPS.update(data["error_groups"])
    pages = data["page"]
    meta = data["meta"]

    wanted = set(functions) | set(macros)
    undocumented = sorted(wanted - set(pages))
    unknown = sorted(set(pages) - wanted)
    if "--partial" in sys.argv[1:]:
        undocumented = []  # while writing pages.toml: render what exists
    if undocumented or unknown:
        for n in undocumented:
            print(f"gen_man: no entry in pages/*.toml for {n}", file=sys.stderr)
        for n in unknown:
            print(f"gen_man: pages/*.toml documents {n}, which include/ does not declare", file=sys.stderr)
        return 1

    os.makedirs(OUT, exist_ok=True)
    stale = []
    for name in sorted(pages):
        text = render_page(name, pages[name], functions, macros, pages, meta)
        path = os.path.join(OUT, name + ".3")
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if old != text:
            stale.append(path)
            if not check:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
    if check and stale:
        for p in stale:
            print(f"gen_man: stale: {os.path.relpath(p, ROOT)}", file=sys.stderr)
        return 1
    if not check:
        print(f"gen_man: {len(pages)} pages, {len(stale)} written")
    return 0


if __name__ == "__main__":
    sys.exit(main())

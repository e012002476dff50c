#!/usr/bin/env python3
"""Compares the differential harness's two outputs (tests/diff, issue 15).

    compare.py [--coverage-ok 0|1] [--stale] COMPAT_MD REF_DIR OURS_DIR PROGRAM...

REF_DIR and OURS_DIR hold PROGRAM.out for each program: one line per call,
"scenario/step ...". Lines are grouped by scenario and the two runs of a
scenario are aligned (difflib); a scenario passes when every line that
differs has a key ("scenario/step", the text before the first space) that
matches an entry of the deliberate-differences block in COMPAT_MD:

    ```compat
    scenario/step-glob: reason
    ```

A second block, ```compat-crash```, holds globs (one a line, no reason:
the block's text gives it) where a difference is allowed only because the
reference crashed: its line for that step reads "signal=N" (or it has no
line there after such a crash) and ours returned instead.

Prints one TAP-ish line per scenario, each difference under it as
"#   ref:  ..." / "#   ours: ...", and last "diff: N passed, M failed" (the coverage check, when given, is one more).
Exits 1 when a scenario failed or, with --stale (all programs run), an
entry matched nothing (the list must not keep stale entries).
"""

import difflib
import fnmatch
import os
import re
import sys

# The list of open differences (bugs being fixed), next to this script.
KNOWN_FILE = "KNOWN-DIFFERENCES.md"
# Longest difference line printed (the rest is cut).
LINE_SHOW_MAX = 400


def load_compat(path):
    """(entries, crash_globs) from the two fenced blocks of COMPAT_MD."""
    entries, crash = [], []
    block = None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.strip() in ("```compat", "```compat-crash"):
                block = line.strip()[3:]
                continue
            if block and line.strip() == "```":
                block = None
                continue
            if not block or not line.strip() or line.lstrip().startswith("#"):
                continue
            if block == "compat-crash":
                crash.append({"glob": line.strip(), "reason": "libssh2 crashes here", "used": 0})
                continue
            m = re.match(r"^(\S+): (\S.*)$", line)
            if not m:
                sys.exit(f"{path}:{n}: expected 'scenario/step-glob: reason', got {line!r}")
            entries.append({"glob": m.group(1), "reason": m.group(2), "used": 0})
    return entries, crash


def load_known(path):
    """{program/scenario: used} from the ```known block of PATH (missing file: none)."""
    known, block = {}, False
    if not os.path.exists(path):
        return known
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line == "```known":
                block = True
            elif block and line == "```":
                block = False
            elif block and line and not line.startswith("#"):
                known[line] = 0
    return known


def read_scenarios(path):
    """{scenario: [lines]} in first-seen order; missing file -> {}."""
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            key = line.split(" ", 1)[0]
            scn = key.split("/", 1)[0]
            out.setdefault(scn, []).append(line)
    return out


def key_of(line):
    return line.split(" ", 1)[0]


def allowed(key, compat):
    for e in compat:
        if fnmatch.fnmatchcase(key, e["glob"]):
            e["used"] += 1
            return e
    return None


def crash_allowed(ra, ref_lines, crash):
    """A difference after (or at) a reference crash on a step of a crash glob."""
    crashed = [l for l in ref_lines if re.search(r" signal=\d+$", l)]
    if ra is not None and not re.search(r" signal=\d+$", ra):
        return None
    for e in crash:
        if any(fnmatch.fnmatchcase(key_of(l), e["glob"]) for l in crashed):
            if ra is None or fnmatch.fnmatchcase(key_of(ra), e["glob"]):
                e["used"] += 1
                return e
    return None


def show(line):
    return line if len(line) <= LINE_SHOW_MAX else line[:LINE_SHOW_MAX] + "..."


def main():
    args = sys.argv[1:]
    coverage = None
    if args[:1] == ["--coverage-ok"]:
        coverage, args = args[1] == "1", args[2:]
    check_stale = args[:1] == ["--stale"]
    if check_stale:
        args = args[1:]
    if len(args) < 4:
        sys.exit(__doc__)
    compat, crash = load_compat(args[0])
    known = load_known(os.path.join(os.path.dirname(os.path.abspath(__file__)), KNOWN_FILE))
    todo = 0
    ref_dir, ours_dir, programs = args[1], args[2], args[3:]
    n = passed = failed = 0
    if coverage is not None:
        n += 1
        if coverage:
            passed += 1
            print(f"ok {n} - coverage: every exported function reached")
        else:
            failed += 1
            print(f"not ok {n} - coverage: a function unreached or tests/diff/COVERAGE.md stale")
    for prog in programs:
        ref = read_scenarios(os.path.join(ref_dir, prog + ".out"))
        ours = read_scenarios(os.path.join(ours_dir, prog + ".out"))
        names = list(ref) + [s for s in ours if s not in ref]
        if not names:
            n += 1
            failed += 1
            print(f"not ok {n} - {prog}: no output from either library")
            continue
        for scn in names:
            a, b = ref.get(scn, []), ours.get(scn, [])
            bad, ok_diffs = [], []
            sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
            for op, i1, i2, j1, j2 in sm.get_opcodes():
                if op == "equal":
                    continue
                pairs = []
                for k in range(max(i2 - i1, j2 - j1)):
                    ra = a[i1 + k] if i1 + k < i2 else None
                    ob = b[j1 + k] if j1 + k < j2 else None
                    pairs.append((ra, ob))
                for ra, ob in pairs:
                    keys = {key_of(x) for x in (ra, ob) if x is not None}
                    hits = [allowed(k, compat) for k in keys]
                    if all(hits):
                        ok_diffs.append((ra, ob, hits[0]["reason"]))
                        continue
                    hit = crash_allowed(ra, a, crash)
                    if hit:
                        ok_diffs.append((ra, ob, hit["reason"]))
                    else:
                        bad.append((ra, ob))
            n += 1
            label = f"{prog}/{scn}"
            if label in known:
                known[label] += 1
            if bad and label in known:
                todo += 1
                print(f"not ok {n} - {label} # TODO known difference (tests/diff/{KNOWN_FILE})")
            elif bad:
                failed += 1
                print(f"not ok {n} - {label}")
            elif label in known:
                failed += 1
                print(f"not ok {n} - {label}: listed as a known difference but matches now: remove it from tests/diff/{KNOWN_FILE}")
            else:
                passed += 1
                note = f" # {len(ok_diffs)} deliberate difference(s)" if ok_diffs else ""
                print(f"ok {n} - {label}{note}")
            for ra, ob in bad:
                print(f"#   ref:  {show(ra) if ra is not None else '(no line)'}")
                print(f"#   ours: {show(ob) if ob is not None else '(no line)'}")
    stale = [e for e in compat + crash if not e["used"]] if check_stale else []
    for e in stale:
        print(f"# compat entry matched nothing (remove it?): {e['glob']}")
    if check_stale:
        for label in (k for k, used in known.items() if not used):
            print(f"# known difference names no scenario (remove it?): {label}")
            stale.append(label)
    print(f"diff-known: {todo} scenarios still differ (TODO, tests/diff/{KNOWN_FILE})")
    print(f"diff: {passed} passed, {failed} failed")
    return 1 if failed or stale else 0


if __name__ == "__main__":
    sys.exit(main())

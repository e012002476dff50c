#!/usr/bin/env python3
"""Load benchmark harness: many sessions at once, ours vs the reference libssh2.

Called by bench/load.sh, which builds everything first and passes the paths in
the environment (LOAD_BIN, LOAD_LIB_OURS, LOAD_LIB_REF, BENCH_ROOT).

One private sshd (MaxStartups and MaxSessions raised) serves both libraries;
each scenario runs the same bench/load.c binary on each library in turn (the
order rotating from run to run). Per run it records what load.c reports (wall
time of the measured phase, client user+sys CPU, peak RSS (VmHWM),
connect+kex+auth latency per session, RSS samples of the soak) and the sshd's
CPU once every process it forked for the run has exited: the listener's
utime+stime+cutime+cstime from /proc plus the CPU of the processes orphaned
on the way (sshd's monitor does not wait for its post-auth child), which
bench/subreaper.c, the fixture's parent, reaps and totals.

Writes its section "load" of docs/benchmarks.md (bench/mdsections.py, which
bench/run.py keeps when it regenerates the rest) and docs/benchmarks-load.png; raw samples go to .cache/bench/load-*.json.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mdsections  # noqa: E402
import run as benchrun  # noqa: E402  (machine description, commits)

MIB = 1 << 20
LIBS = ["ours", "ref"]
LIB_NAMES = {"ours": "ours", "ref": "libssh2 1.11.1"}
SECTION = "load"
# Seconds one load.c run may take before it counts as hung.
RUN_TIMEOUT = 3600
# Seconds to wait for the sshd's per-connection processes to be reaped.
REAP_TIMEOUT = 120
SSHD_CONFIG = "\n".join([
    "LogLevel INFO",  # the fixture waits for the INFO "Server listening" line; DEBUG3 would cost sshd CPU
    "MaxStartups 1000:30:1000",  # every session may be in its handshake at once
    "MaxSessions 100",  # the channels scenario opens 16 on one connection
])
# The issue 19 targets at 200 sessions: (name, key, factor, higher is better).
TARGETS = [
    ("wall time ≤ 1.0× libssh2", "wall", 1.0),
    ("sshd CPU ≤ 1.0× libssh2", "sshd_cpu", 1.0),
    ("client peak RSS ≤ 1.0× libssh2", "rss_mib", 1.0),
    ("client CPU ≤ 0.5× libssh2", "cpu", 0.5),
    ("p99 connect+kex+auth ≤ libssh2", "p99_ms", 1.0),
]
TARGET_SESSIONS = 200


def log(msg):
    print(f"load: {msg}", file=sys.stderr, flush=True)


def parse_kv(line):
    return {k: v.strip('"') for k, v in re.findall(r'(\w+)=("[^"]*"|\S+)', line)}


def parse_size(s):
    m = re.fullmatch(r"(\d+)([KMG]?)", s.strip(), re.I)
    if not m:
        raise argparse.ArgumentTypeError(f"bad size {s}")
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2).upper()]


def size_text(n):
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n} B"


class Sshd:
    """The fixture's sshd, and the CPU its process tree has used."""

    def __init__(self, root):
        self.root = root
        self.tmp = tempfile.mkdtemp(prefix="libssh2-load.")
        self.dir = os.path.join(self.tmp, "sshd")
        env = dict(os.environ, SSHD_EXTRA_CONFIG=SSHD_CONFIG)
        self.reaped_file = os.path.join(self.tmp, "reaped")
        # The fixture (and so sshd) under the subreaper; its stdout reaches
        # EOF when the fixture script is done starting sshd.
        self.reaper = subprocess.Popen([os.environ["LOAD_SUBREAPER"], self.reaped_file,
                                        os.path.join(root, "scripts/sshd-fixture.sh"), "start", self.dir],
                                       env=env, stdout=subprocess.PIPE, text=True)
        started = self.reaper.stdout.read()
        if "sshd pid" not in started or not os.path.exists(os.path.join(self.dir, "env")):
            raise RuntimeError("sshd fixture did not start: " + started)
        self.env = {}
        for line in open(os.path.join(self.dir, "env")):
            k, _, v = line.strip().partition("=")
            self.env[k] = v.strip('"')
        self.pid = int(open(os.path.join(self.dir, "fixture.pid")).read())
        # Server files in /dev/shm: no disk in the figures.
        self.data = tempfile.mkdtemp(prefix="libssh2-load.", dir="/dev/shm")
        uid = int(subprocess.check_output(["id", "-u", self.env["SSHD_USER"]]))
        os.chmod(self.data, 0o755)
        os.chown(self.data, uid, -1)

    def cpu(self):
        """Seconds of CPU of the listener and of every child it has reaped."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        listener = sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        try:
            with open(self.reaped_file) as f:
                kv = parse_kv(f.read())
            orphans = float(kv["user_s"]) + float(kv["sys_s"])
        except (FileNotFoundError, KeyError):
            orphans = 0.0
        return listener + orphans

    @staticmethod
    def _children(pid):
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                return f.read().split()
        except FileNotFoundError:
            return []

    def children(self):
        """Processes of the sshd's tree still running: the listener's children
        and orphans waiting for the subreaper."""
        return self._children(self.pid) + [p for p in self._children(self.reaper.pid) if int(p) != self.pid]

    def settle(self):
        """Waits until the per-connection processes of the last run are gone."""
        end = time.monotonic() + REAP_TIMEOUT
        while self.children() and time.monotonic() < end:
            time.sleep(0.05)
        return not self.children()

    def stop(self):
        subprocess.run([os.path.join(self.root, "scripts/sshd-fixture.sh"), "stop", self.dir],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.reaper.wait(timeout=REAP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.reaper.kill()
        shutil.rmtree(self.data, ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)


def scenarios(args):
    """(id, kind, load.c argv) of every scenario of the run."""
    common = ["-s", str(args.size), "-b", str(args.bufsize)] + (["-N"] if args.nodelay else [])
    out = []
    if "sessions" in args.only:
        for n in args.sessions:
            out.append((f"sessions {n}", "sessions", ["sessions", "-n", str(n), "-T", str(args.threads)] + common))
    if "channels" in args.only:
        out.append(("channels", "channels", ["channels", "-c", str(args.channels)] + common))
    if "soak" in args.only:
        out.append(("soak", "soak", ["soak", "-n", str(args.soak), "-i", str(args.soak_every), "-s",
                                     str(args.soak_size), "-b", str(args.bufsize)]
                    + (["-N"] if args.nodelay else [])))
    return out


def measure(sshd, lib, argv):
    """One run of load.c on one library: a dict of figures, or ok=False and an error."""
    env = dict(os.environ, LD_LIBRARY_PATH=os.environ[f"LOAD_LIB_{lib.upper()}"])
    env.update(sshd.env)
    sshd.settle()
    before = sshd.cpu()
    try:
        p = subprocess.run([os.environ["LOAD_BIN"]] + argv + ["-d", sshd.data], env=env, capture_output=True,
                           text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timeout after {RUN_TIMEOUT}s"}
    reaped = sshd.settle()
    sshd_cpu = sshd.cpu() - before
    if env["LD_LIBRARY_PATH"] not in p.stderr:
        return {"ok": False, "error": "wrong library loaded: " + p.stderr.strip()[:200]}
    lines = p.stdout.strip().splitlines()
    kv = parse_kv(lines[-1]) if lines else {}
    errors = [l.removeprefix("load: ") for l in p.stderr.splitlines() if "failed" in l or "differs" in l][:5]
    if not lines or "wall_s" not in kv:
        return {"ok": False, "error": (kv.get("error") or p.stderr.strip()[-300:] or f"exit {p.returncode}")}
    r = {"ok": lines[-1].startswith("ok"), "failures": int(kv["failures"]), "sessions": int(kv["sessions"]),
         "wall": float(kv["wall_s"]), "cpu": float(kv["user_s"]) + float(kv["sys_s"]),
         "user": float(kv["user_s"]), "sys": float(kv["sys_s"]), "rss_mib": int(kv["hwm_kib"]) / 1024,
         "base_rss_mib": int(kv["base_rss_kib"]) / 1024, "p50_ms": float(kv["lat_p50_ms"]),
         "p99_ms": float(kv["lat_p99_ms"]), "max_ms": float(kv["lat_max_ms"]), "kicks": int(kv["kicks"]),
         "sshd_cpu": sshd_cpu, "sshd_reaped": reaped, "errors": errors}
    if "rss_kib" in kv:
        r["rss_samples_kib"] = [int(x) for x in kv["rss_kib"].split(",") if x]
        r["every"] = int(kv["every"])
    if not r["ok"]:
        r["error"] = f"{r['failures']} of {r['sessions']} sessions failed" + (": " + errors[0] if errors else "")
    return r


def summarize(samples):
    ok = [s for s in samples if s.get("ok")]
    if not ok:
        return {"error": samples[0].get("error", "not run") if samples else "not run"}
    d = {k: statistics.median(s[k] for s in ok)
         for k in ("wall", "cpu", "user", "sys", "rss_mib", "base_rss_mib", "p50_ms", "p99_ms", "max_ms",
                   "sshd_cpu")}
    d["runs"] = len(ok)
    d["kicks"] = max(s["kicks"] for s in ok)
    d["sessions"] = ok[0]["sessions"]
    if "rss_samples_kib" in ok[0]:
        # The soak's curve: the run with the median growth.
        best = sorted(ok, key=lambda s: s["rss_samples_kib"][-1] - s["rss_samples_kib"][0])[len(ok) // 2]
        d["rss_samples_kib"], d["every"] = best["rss_samples_kib"], best["every"]
    return d


def fmt(d, key, digits=1, scale=1.0):
    if "error" in d:
        return "failed"
    return f"{d[key] * scale:.{digits}f}"


def ratio(o, r, key):
    if "error" in o or "error" in r or not r.get(key):
        return "–"
    return f"{o[key] / r[key]:.2f}×"


def report(args, summ, meta):
    m = meta["machine"]
    L = ["<!-- Generated by bench/load.sh; edit bench/load.py, not this section. -->", "",
         "## Many sessions at once (bench/load.sh)", ""]
    L.append(f"Generated by `{meta['command']}` on {meta['date']}, {meta['runs']} run(s) per scenario, median "
             f"shown; the whole run took {meta['elapsed_s'] / 60:.1f} min. Same machine and sshd version as above "
             f"({m['cpu']}, {m['cores']} cores; {m['openssh']}); ours at commit {meta['commit']} (library "
             f"sources as of {meta['lib_commit']}). Load average (1 min) before / after: "
             f"{meta['load'][0]:.2f} / {meta['load'][1]:.2f}.")
    if meta.get("note"):
        L.append("")
        L.append(meta["note"])
    L.append("")
    L.append(f"![load chart]({os.path.basename(meta['png'])})" if meta.get("png") else "")
    L.append("")
    ids = [s for s in summ if s.startswith("sessions ")]
    if ids:
        L.append(f"### Sessions at once over {args.threads} threads, {size_text(args.size)} SFTP get + put each")
        L.append("")
        L.append("Every session connects, handshakes (curve25519-sha256, aes128-gcm@openssh.com), authenticates "
                 "with an ed25519 key, downloads the file and uploads it back with every byte checked, "
                 "and disconnects; all of them start at once. **wall** = first connect to last disconnect; "
                 "**client CPU** = user+sys of the client process; **RSS** = its peak resident set (VmHWM); "
                 "**sshd CPU** = user+sys of the sshd listener and every process it forked for the run; "
                 "**p50/p99** = connect + kex + auth per session.")
        L.append("")
        L.append("| sessions | library | wall s | client CPU s | peak RSS MiB | sshd CPU s | p50 ms | p99 ms "
                 "| max ms | failed |")
        L.append("|---:|---|" + "---:|" * 8)
        for sid in ids:
            n = sid.split()[1]
            for lib in LIBS:
                d = summ[sid][lib]
                fails = "all" if "error" in d else "0"
                L.append(f"| {n} | {LIB_NAMES[lib]} | {fmt(d, 'wall', 2)} | {fmt(d, 'cpu', 2)} "
                         f"| {fmt(d, 'rss_mib')} | {fmt(d, 'sshd_cpu', 2)} | {fmt(d, 'p50_ms', 0)} "
                         f"| {fmt(d, 'p99_ms', 0)} | {fmt(d, 'max_ms', 0)} | {fails} |")
            o, r = summ[sid]["ours"], summ[sid]["ref"]
            L.append(f"| {n} | *ours ÷ libssh2* | {ratio(o, r, 'wall')} | {ratio(o, r, 'cpu')} "
                     f"| {ratio(o, r, 'rss_mib')} | {ratio(o, r, 'sshd_cpu')} | {ratio(o, r, 'p50_ms')} "
                     f"| {ratio(o, r, 'p99_ms')} | {ratio(o, r, 'max_ms')} | |")
        L.append("")
        tid = f"sessions {TARGET_SESSIONS}"
        if tid in summ:
            o, r = summ[tid]["ours"], summ[tid]["ref"]
            L.append(f"Issue 19's targets at {TARGET_SESSIONS} sessions:")
            L.append("")
            L.append("| target | ours ÷ libssh2 | met |")
            L.append("|---|---:|---|")
            for name, key, factor in TARGETS:
                if "error" in o or "error" in r or not r.get(key):
                    L.append(f"| {name} | – | failed |")
                    continue
                rel = o[key] / r[key]
                L.append(f"| {name} | {rel:.2f}× | {'yes' if rel <= factor else '**no**'} |")
            L.append("")
    if "channels" in summ:
        L.append(f"### {args.channels} SFTP channels on one session")
        L.append("")
        L.append(f"One session opens {args.channels} SFTP channels (one `libssh2_sftp_init` each, so "
                 f"{args.channels} SSH channels) and moves {size_text(args.size)} down and up on every one at "
                 "once, all from one thread in non-blocking mode.")
        L.append("")
        L.append("| library | wall s | MiB/s (both ways, all channels) | client CPU s | peak RSS MiB | sshd CPU s |")
        L.append("|---|---:|---:|---:|---:|---:|")
        for lib in LIBS:
            d = summ["channels"][lib]
            rate = "failed" if "error" in d else f"{2 * args.channels * args.size / MIB / d['wall']:.0f}"
            L.append(f"| {LIB_NAMES[lib]} | {fmt(d, 'wall', 2)} | {rate} | {fmt(d, 'cpu', 2)} "
                     f"| {fmt(d, 'rss_mib')} | {fmt(d, 'sshd_cpu', 2)} |")
        L.append("")
    if "soak" in summ:
        L.append(f"### Soak: {args.soak} sessions one after another")
        L.append("")
        L.append(f"Each: connect, handshake, auth, {size_text(args.soak_size)} SFTP get + put (checked), "
                 f"disconnect, `libssh2_session_free`; the client's VmRSS (`/proc/self/statm`) is read "
                 f"after every {args.soak_every} sessions.")
        L.append("")
        L.append(f"| library | wall s | ms per session | RSS after {args.soak_every} MiB | RSS at the end MiB "
                 f"| growth after session {args.soak_every} KiB | sshd CPU s |")
        L.append("|---|---:|---:|---:|---:|---:|---:|")
        for lib in LIBS:
            d = summ["soak"][lib]
            if "error" in d:
                L.append(f"| {LIB_NAMES[lib]} | failed | | | | | |")
                continue
            s = d["rss_samples_kib"]
            L.append(f"| {LIB_NAMES[lib]} | {d['wall']:.1f} | {d['wall'] / d['sessions'] * 1000:.1f} "
                     f"| {s[0] / 1024:.2f} | {s[-1] / 1024:.2f} | {s[-1] - s[0]} | {d['sshd_cpu']:.2f} |")
        L.append("")
        for lib in LIBS:
            d = summ["soak"][lib]
            if "rss_samples_kib" in d:
                L.append(f"- {LIB_NAMES[lib]}, VmRSS KiB every {d['every']} sessions: "
                         + ", ".join(str(x) for x in d["rss_samples_kib"]))
        L.append("")
    fails = [(sid, lib, summ[sid][lib]["error"]) for sid in summ for lib in LIBS if "error" in summ[sid][lib]]
    if fails:
        L.append("Failed:")
        L.append("")
        for sid, lib, e in fails:
            L.append(f"- {sid}, {LIB_NAMES[lib]}: {e}")
        L.append("")
    kicks = [(sid, lib) for sid in summ for lib in LIBS if summ[sid][lib].get("kicks")]
    if kicks:
        L.append("Kicked sessions (a call made progress although poll() had not reported the socket ready: a "
                 "sign, not proof, that a library returned EAGAIN with the data already in hand; "
                 "`load sessions -K SECONDS` drives sessions by poll() alone and fails one left stuck): "
                 + ", ".join(f"{sid} on {LIB_NAMES[lib]} ({summ[sid][lib]['kicks']})" for sid, lib in kicks))
        L.append("")
    L.append("Method:")
    L.append("")
    L.append("- `bench/load.sh [--sessions 50,200,400] [--threads 8] [--size 10M] [--bufsize 1M] [--channels 16] "
             "[--soak 2000] [--soak-every 100] [--soak-size 64K] [--runs 1] [--only sessions,channels,soak] "
             "[--nodelay] [--ours PATH] [--note TEXT] [--from-json FILE]` builds our library "
             "(`cargo build --release`, or takes `--ours`), the reference libssh2 1.11.1 (as `bench/run.sh` "
             "does) and `bench/load.c`, starts one private sshd (`scripts/sshd-fixture.sh` with "
             "`MaxStartups 1000:30:1000`, `MaxSessions 100`, `LogLevel INFO`) and runs every scenario on each "
             "library in turn. The same binary runs on both; only `LD_LIBRARY_PATH` differs.")
    L.append("- `bench/load.c` drives the sessions of a thread in non-blocking mode from one `poll()` loop "
             "(a libssh2 session belongs to one thread), so a thread holds many sessions at once; sessions are "
             "dealt to the threads round robin and all start together. The caller buffer of every "
             f"`libssh2_sftp_read`/`write` is {size_text(args.bufsize)}. Downloads are compared with the "
             "expected bytes in memory as they arrive; uploads are compared on the server's disk (the sshd is "
             "on this machine) after the measured phase, outside the CPU figures. The client's RSS includes "
             "the expected content (one buffer of the transfer size), the same for both libraries.")
    L.append("- Client sockets are left as programs leave them (Nagle on)" +
             (" except with `--nodelay` (used here: TCP_NODELAY set by the client)." if args.nodelay else "."))
    L.append("- sshd CPU is taken before the run and after every process sshd forked for it has exited: the "
             "listener's utime+stime+cutime+cstime (`/proc/PID/stat`) plus the CPU of the processes orphaned "
             "on the way (sshd's per-connection monitor does not wait for its post-auth child, so that "
             "child's CPU, the crypto and the SFTP work, never reaches the listener): the fixture runs under "
             "`bench/subreaper.c`, a child subreaper that reaps and totals them.")
    L.append("- The machine is shared with other work (see the load average): wall-clock figures spread more "
             "than CPU seconds; compare the two libraries within one run.")
    return "\n".join(L) + "\n"


def chart(args, summ, path):
    """Wall, CPU, RSS and p99 per session count, and the soak's RSS curve (gnuplot)."""
    if not shutil.which("gnuplot"):
        log("gnuplot not found: no chart")
        return False
    ids = [s for s in summ if s.startswith("sessions ")]
    soak = "soak" in summ and all("rss_samples_kib" in summ["soak"][l] for l in LIBS)
    panels = []
    tmp = tempfile.mkdtemp(prefix="libssh2-load-plot.")
    if ids:
        fn = os.path.join(tmp, "sessions.dat")
        keys = ["wall", "cpu", "sshd_cpu", "rss_mib", "p99_ms"]
        with open(fn, "w") as f:
            for sid in ids:
                vals = []
                for k in keys:
                    for lib in LIBS:
                        d = summ[sid][lib]
                        vals.append("?" if "error" in d else f"{d[k]:.3f}")
                f.write(f"\"{sid.split()[1]}\" {' '.join(vals)}\n")
        titles = ["Wall time, s", "Client CPU (user+sys), s", "sshd CPU, s", "Client peak RSS, MiB",
                  "p99 connect+kex+auth, ms"]
        for i, t in enumerate(titles):
            c = 2 + 2 * i
            panels.append([f"set title '{t} (lower is better)'", "set style data histograms",
                           "set style histogram clustered gap 1", "set style fill solid 0.85 border -1",
                           "set xlabel 'sessions at once'", "set yrange [0:*]",
                           f"plot '{fn}' using {c}:xtic(1) title 'ours' lc rgb '#1f77b4', "
                           f"'' using {c + 1} title 'libssh2 1.11.1' lc rgb '#ff7f0e'"])
    if soak:
        fns = []
        for lib in LIBS:
            d = summ["soak"][lib]
            fn = os.path.join(tmp, f"soak-{lib}.dat")
            with open(fn, "w") as f:
                for i, v in enumerate(d["rss_samples_kib"]):
                    f.write(f"{(i + 1) * d['every']} {v / 1024:.3f}\n")
            fns.append(fn)
        panels.append(["set title 'Soak: client VmRSS, MiB'", "set key bottom right", "set style data linespoints",
                       "set xlabel 'sessions done'", "set yrange [0:*]",
                       f"plot '{fns[0]}' using 1:2 title 'ours' lc rgb '#1f77b4' pt 7, "
                       f"'{fns[1]}' using 1:2 title 'libssh2 1.11.1' lc rgb '#ff7f0e' pt 7"])
    if not panels:
        return False
    cols = 3
    rows = (len(panels) + cols - 1) // cols
    script = [f"set terminal pngcairo size 1500,{430 * rows} font 'sans,10' background '#ffffff'",
              f"set output '{path}'", f"set multiplot layout {rows},{cols}", "set grid ytics",
              "set termoption noenhanced", "set key top left", "set datafile missing '?'", "set boxwidth 0.9"]
    for p in panels:
        script += p
        script.append("unset xlabel")
    script.append("unset multiplot")
    gp = os.path.join(tmp, "plot.gp")
    with open(gp, "w") as f:
        f.write("\n".join(script) + "\n")
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    shutil.rmtree(tmp, ignore_errors=True)
    if r.returncode != 0:
        log("gnuplot failed: " + r.stderr.strip()[-500:])
        return False
    return True


def write_section(out, section):
    """Puts the section into `out` (updating it in place), leaving the rest."""
    try:
        with open(out) as f:
            old = f.read()
    except FileNotFoundError:
        old = "# Benchmarks\n"
    with open(out, "w") as f:
        f.write(mdsections.replace(old, SECTION, section))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", default="50,200,400", help="comma list of session counts")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--size", type=parse_size, default=10 * MIB, help="transfer size each way (10M)")
    ap.add_argument("--bufsize", type=parse_size, default=MIB, help="caller buffer per read/write call (1M)")
    ap.add_argument("--channels", type=int, default=16, help="SFTP channels on one session (16)")
    ap.add_argument("--soak", type=int, default=2000, help="sequential sessions of the soak (2000)")
    ap.add_argument("--soak-every", type=int, default=100, help="RSS sample interval in sessions (100)")
    ap.add_argument("--soak-size", type=parse_size, default=64 * 1024, help="soak get + put size (64K)")
    ap.add_argument("--runs", type=int, default=1, help="runs per scenario (1)")
    ap.add_argument("--only", default="sessions,channels,soak", help="comma list of sessions,channels,soak")
    ap.add_argument("--nodelay", action="store_true", help="set TCP_NODELAY on the client sockets")
    ap.add_argument("--note", default="", help="a sentence for the report (e.g. what else ran)")
    ap.add_argument("--ours", help="(handled by bench/load.sh)")
    ap.add_argument("--out", default="docs/benchmarks.md", help="markdown file holding the section")
    ap.add_argument("--from-json", help="rewrite the section from a saved .cache/bench/load-*.json")
    args = ap.parse_args()
    root = os.environ["BENCH_ROOT"]
    out = os.path.join(root, args.out)
    png = os.path.join(os.path.dirname(out), "benchmarks-load.png")
    if args.from_json:
        with open(args.from_json) as f:
            save = json.load(f)
        for k, v in save["args"].items():
            if k not in ("out", "from_json", "note") or (k == "note" and not args.note):
                setattr(args, k, v)
        meta, results = save["meta"], save["samples"]
    else:
        args.sessions = [int(x) for x in args.sessions.split(",") if x.strip()]
        args.only = [x.strip() for x in args.only.split(",") if x.strip()]
        results = {}
        load_before = os.getloadavg()[0]
        t0 = time.monotonic()
        sshd = Sshd(root)
        try:
            for r in range(args.runs):
                order = LIBS[r % 2:] + LIBS[:r % 2]
                for sid, kind, argv in scenarios(args):
                    for lib in order:
                        log(f"run {r + 1}/{args.runs} {sid} on {LIB_NAMES[lib]} ...")
                        s = measure(sshd, lib, argv)
                        results.setdefault(sid, {k: [] for k in LIBS})[lib].append(s)
                        if s["ok"]:
                            log(f"  wall {s['wall']:.2f}s cpu {s['cpu']:.2f}s rss {s['rss_mib']:.1f}MiB "
                                f"sshd {s['sshd_cpu']:.2f}s p50 {s['p50_ms']:.0f}ms p99 {s['p99_ms']:.0f}ms")
                        else:
                            log(f"  FAILED {s['error']}")
        finally:
            sshd.stop()
        cmd = "bench/load.sh " + " ".join(sys.argv[1:]) if len(sys.argv) > 1 else "bench/load.sh"
        meta = {"command": cmd.strip(), "date": datetime.datetime.now(datetime.timezone.utc).strftime(
                    "%Y-%m-%d %H:%M UTC"), "runs": args.runs, "elapsed_s": time.monotonic() - t0,
                "machine": benchrun.machine(), "commit": benchrun.git_rev(root),
                "lib_commit": os.environ.get("LOAD_OURS_NOTE") or benchrun.lib_rev(root),
                "load": [load_before, os.getloadavg()[0]]}
    if args.note:
        meta["note"] = args.note
    summ = {sid: {lib: summarize(v[lib]) for lib in LIBS} for sid, v in results.items()}
    meta["png"] = png if chart(args, summ, png) else ""
    write_section(out, report(args, summ, meta))
    if not args.from_json:
        raw = os.path.join(root, ".cache/bench", "load-" + time.strftime("%Y%m%d-%H%M%S") + ".json")
        os.makedirs(os.path.dirname(raw), exist_ok=True)
        a = {k: v for k, v in vars(args).items()}
        with open(raw, "w") as f:
            json.dump({"args": a, "meta": meta, "summary": summ, "samples": results}, f, indent=1)
        log(f"wrote {out}, {meta['png'] or 'no chart'}, raw samples {raw}; took {meta['elapsed_s'] / 60:.1f} min")
    else:
        log(f"rewrote the load section of {out} from {args.from_json}")
    failed = any("error" in summ[s][l] for s in summ for l in LIBS)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark harness: our libssh2 vs the reference libssh2 vs OpenSSH's clients.

Called by bench/run.sh, which builds everything first and passes the paths in
the environment (BENCH_BIN, BENCH_PROXY, BENCH_LIB_OURS, BENCH_LIB_REF, ...).

One private sshd serves every client. For each run, each cell (workload x
cipher x link) is measured for each client in turn, the client order rotating
from run to run, so slow drifts of the (shared) machine hit all clients alike.
A cell that fails for a client is recorded as failed and the run goes on.

Measures, per sample: wall time (inside bench.c for the libraries, around the
process for OpenSSH's tools), client CPU (user+sys) and peak RSS from the
child's rusage (wait4; for sftp/scp it includes their ssh child process, and
the RSS is the larger of the two).
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import mdsections

MIB = 1 << 20
GIB = 1 << 30
CIPHERS = [
    ("chacha20-poly1305@openssh.com", "chacha20"),
    ("aes128-gcm@openssh.com", "aes128-gcm"),
    ("aes256-ctr", "aes256-ctr"),
]
# The MAC for the non-AEAD cipher (AEAD ciphers ignore it).
MAC = "hmac-sha2-256-etm@openssh.com"
KEXES = ["curve25519-sha256", "mlkem768x25519-sha256", "default"]
# Transfers pin the key exchange, so their CPU figures are about the transfer:
# left to their defaults, OpenSSH picks sntrup761x25519 (dearer), our library
# mlkem768x25519 where offered, libssh2 1.11.1 curve25519. The "default"
# handshake rows show that cost.
TRANSFER_KEX = "curve25519-sha256"
USER_KEYS = [("ed25519", "id_ed25519"), ("rsa-3072", "id_rsa3072")]
# Transfer workloads: (id, bench.c mode, caller buffer, OpenSSH counterpart).
TRANSFERS = [
    ("sftp-get 1M", "sftp-get", MIB, "sftp-get"),
    ("sftp-get 16K", "sftp-get", 16 * 1024, "sftp-get"),
    ("sftp-put 1M", "sftp-put", MIB, "sftp-put"),
    ("sftp-put 16K", "sftp-put", 16 * 1024, "sftp-put"),
    ("scp-get", "scp-get", MIB, "scp-get"),
    ("scp-put", "scp-put", MIB, "scp-put"),
    ("exec cat", "exec", MIB, "exec"),
]
CLIENTS = ["ours", "ref", "openssh"]
CLIENT_NAMES = {"ours": "ours", "ref": "libssh2 1.11.1", "openssh": "OpenSSH"}
# Transfer size per link (full, quick): window-limited links move less, so a
# full run stays within about an hour; MB/s and CPU/GiB are rates anyway.
SIZES = {"loopback": (GIB, 256 * MIB), "20ms": (256 * MIB, 64 * MIB), "100ms": (64 * MIB, 16 * MIB)}
RTT_MS = {"loopback": 0, "20ms": 20, "100ms": 100}
# A library transfer stops after this many seconds and reports its rate so far
# (full, quick); OpenSSH's tools cannot be stopped that way and get a timeout.
CAP_SECONDS = (30, 10)
OPENSSH_TIMEOUT = 600
# Connections per handshake sample (full, quick).
HANDSHAKES = (10, 5)
SSH_OPTS_BASE = [
    "-F", "/dev/null",
    "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null",
    "-o", "BatchMode=yes",
    "-o", "IdentitiesOnly=yes",
    "-o", "LogLevel=ERROR",
]


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class Sample:
    """One measurement of one client in one cell."""

    def __init__(self, ok, wall=0.0, cpu=0.0, rss_kib=0, nbytes=0, capped=False, error="", per=1):
        self.ok, self.wall, self.cpu, self.rss_kib = ok, wall, cpu, rss_kib
        self.nbytes, self.capped, self.error, self.per = nbytes, capped, error, per

    def to_json(self):
        return self.__dict__


class Usage:
    """What runwait measured for one process."""

    def __init__(self, kv):
        self.wall = float(kv.get("wall_s", 0))
        self.cpu = float(kv.get("user_s", 0)) + float(kv.get("sys_s", 0))
        self.rss_kib = int(kv.get("maxrss_kib", 0))


def run_measured(argv, env=None, timeout=None, stdin_data=None, discard_stdout=False):
    """Run argv under runwait; return (rc, stdout, stderr, Usage, timed_out)."""
    fd, usage_file = tempfile.mkstemp(prefix="libssh2-bench-usage.")
    os.close(fd)
    p = subprocess.Popen([os.environ["BENCH_RUNWAIT"], usage_file] + argv, env=env,
                         stdin=subprocess.PIPE if stdin_data else subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL if discard_stdout else subprocess.PIPE,
                         stderr=subprocess.PIPE, start_new_session=True)
    timed_out = []

    def kill():
        timed_out.append(True)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill) if timeout else None
    if timer:
        timer.start()
    out = {"out": b""}

    def drain(name, f):
        out[name] = f.read()

    threads = [threading.Thread(target=drain, args=("err", p.stderr))]
    if p.stdout:
        threads.append(threading.Thread(target=drain, args=("out", p.stdout)))
    for t in threads:
        t.start()
    if stdin_data:
        p.stdin.write(stdin_data)
        p.stdin.close()
    rc = p.wait()
    if timer:
        timer.cancel()
    for t in threads:
        t.join()
    with open(usage_file) as f:
        usage = Usage(parse_kv(f.read()))
    os.unlink(usage_file)
    return rc, out["out"].decode(errors="replace"), out["err"].decode(errors="replace"), usage, bool(timed_out)


def parse_kv(line):
    return dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line))


class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        q = 1 if args.quick else 0
        self.cap = CAP_SECONDS[q]
        self.handshakes = HANDSHAKES[q]
        self.bin = os.environ["BENCH_BIN"]
        self.proxy_bin = os.environ["BENCH_PROXY"]
        self.libdir = {"ours": os.environ["BENCH_LIB_OURS"], "ref": os.environ["BENCH_LIB_REF"]}
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix="libssh2-bench.")
        self.data = tempfile.mkdtemp(prefix="libssh2-bench.", dir="/dev/shm")
        self.root = os.environ["BENCH_ROOT"]

    # ---- setup -------------------------------------------------------------
    def start(self):
        env = dict(os.environ)
        env["SSHD_EXTRA_CONFIG"] = "\n".join([
            "LogLevel INFO",  # the fixture waits for the INFO "Server listening" line
            "Ciphers " + ",".join(c for c, _ in CIPHERS),
            "MACs " + MAC,
            "MaxSessions 100",
        ])
        sshd_dir = os.path.join(self.tmp, "sshd")
        subprocess.run([os.path.join(self.root, "scripts/sshd-fixture.sh"), "start", sshd_dir],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        self.sshd_dir = sshd_dir
        self.fix = {}
        for line in open(os.path.join(sshd_dir, "env")):
            k, _, v = line.strip().partition("=")
            self.fix[k] = v.strip('"')
        self.user = self.fix["SSHD_USER"]
        self.port = {"loopback": int(self.fix["SSHD_PORT"])}
        for link in self.args.links:
            if RTT_MS[link]:
                p = subprocess.Popen([self.proxy_bin, "0", str(self.port["loopback"]), str(RTT_MS[link] / 2)],
                                     stdout=subprocess.PIPE, text=True)
                self.procs.append(p)
                self.port[link] = int(p.stdout.readline().split()[1])
        # Data files live in /dev/shm so disk speed is out of the picture.
        uid = int(subprocess.check_output(["id", "-u", self.user]))
        os.chmod(self.data, 0o755)
        os.chown(self.data, uid, -1)
        chunk = os.urandom(MIB)
        self.files = {}
        for size in sorted({SIZES[link][1 if self.quick else 0] for link in self.args.links}):
            path = os.path.join(self.data, f"data-{size // MIB}M")
            with open(path, "wb") as f:
                for _ in range(size // MIB):
                    f.write(chunk)
            os.chmod(path, 0o644)
            self.files[size] = path
        self.kexes = subprocess.check_output(["ssh", "-Q", "kex"], text=True).split()

    def stop(self):
        for p in self.procs:
            p.kill()
            p.wait()
        if getattr(self, "sshd_dir", None):
            subprocess.run([os.path.join(self.root, "scripts/sshd-fixture.sh"), "stop", self.sshd_dir],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.data, ignore_errors=True)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- clients -----------------------------------------------------------
    def lib_env(self, client):
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = self.libdir[client]
        return env

    def key(self, name):
        return os.path.join(self.sshd_dir, name)

    def ssh_opts(self, link, cipher, kex=None, key="id_ed25519"):
        o = SSH_OPTS_BASE + ["-i", self.key(key), "-o", f"Port={self.port[link]}", "-o", f"Ciphers={cipher}",
                             "-o", f"MACs={MAC}"]
        if kex:
            o += ["-o", f"KexAlgorithms={kex}"]
        return o

    def lib_sample(self, client, argv, timeout, per=1):
        rc, out, err, ru, to = run_measured([self.bin] + argv, env=self.lib_env(client), timeout=timeout)
        if self.libdir[client] not in err:
            return Sample(False, error="wrong library loaded: " + err.strip()[:200])
        line = out.strip().splitlines()[-1] if out.strip() else ""
        kv = parse_kv(line)
        if to:
            return Sample(False, error=f"timeout after {timeout}s")
        if rc != 0 or not line.startswith("ok"):
            msg = kv.get("error", "").strip('"') or (err.strip().splitlines() or [f"exit {rc}"])[-1]
            return Sample(False, error=msg[:200])
        if "median_s" in kv:
            return Sample(True, wall=float(kv["median_s"]), cpu=ru.cpu / per, rss_kib=ru.rss_kib, per=per)
        return Sample(True, wall=float(kv["total_s"]), cpu=ru.cpu, rss_kib=ru.rss_kib, nbytes=int(kv["bytes"]),
                      capped=kv.get("capped") == "1")

    def openssh_sample(self, argv, nbytes, stdin_data=None, discard_stdout=False):
        rc, out, err, ru, to = run_measured(argv, timeout=OPENSSH_TIMEOUT, stdin_data=stdin_data,
                                            discard_stdout=discard_stdout)
        if to:
            return Sample(False, error=f"timeout after {OPENSSH_TIMEOUT}s")
        if rc != 0:
            return Sample(False, error=(err.strip().splitlines() or [f"exit {rc}"])[-1][:200])
        return Sample(True, wall=ru.wall, cpu=ru.cpu, rss_kib=ru.rss_kib, nbytes=nbytes)

    def transfer(self, client, cell):
        link, cipher, (_, mode, buf, ossh) = cell["link"], cell["cipher"], cell["workload"]
        size = SIZES[link][1 if self.quick else 0]
        src = self.files[size]
        dst = os.path.join(self.data, f"put-{client}")
        remote = dst if "put" in mode else src
        if client != "openssh":
            argv = [mode, "-P", str(self.port[link]), "-u", self.user, "-k", self.key("id_ed25519"),
                    "-c", cipher, "-m", MAC, "-x", TRANSFER_KEX, "-r", remote, "-l", src, "-s", str(size),
                    "-b", str(buf),
                    "-t", str(self.cap)]
            return self.lib_sample(client, argv, timeout=self.cap + 120)
        o = self.ssh_opts(link, cipher, TRANSFER_KEX)
        dest = f"{self.user}@127.0.0.1"
        if ossh == "exec":
            # stdout goes to /dev/null: discarded, as bench.c discards it.
            return self.openssh_sample(["ssh"] + o + [dest, f"cat '{src}'"], size, discard_stdout=True)
        if ossh == "sftp-get":
            return self.openssh_sample(["sftp"] + o + ["-b", "-", dest], size, f"get {src} /dev/null\n".encode())
        if ossh == "sftp-put":
            return self.openssh_sample(["sftp"] + o + ["-b", "-", dest], size, f"put {src} {dst}\n".encode())
        if ossh == "scp-get":
            return self.openssh_sample(["scp", "-O"] + o + [f"{dest}:{src}", "/dev/null"], size)
        return self.openssh_sample(["scp", "-O"] + o + [src, f"{dest}:{dst}"], size)

    def handshake(self, client, cell):
        link, kex, keyfile = cell["link"], cell["kex"], cell["keyfile"]
        if kex != "default" and kex not in self.kexes:
            return Sample(False, error=f"n/a: this sshd ({self.openssh_version()}) lacks {kex}")
        cipher = CIPHERS[0][0]
        if client != "openssh":
            argv = ["handshake", "-P", str(self.port[link]), "-u", self.user, "-k", self.key(keyfile),
                    "-c", cipher, "-n", str(self.handshakes)] + ([] if kex == "default" else ["-x", kex])
            return self.lib_sample(client, argv, timeout=120, per=self.handshakes)
        # OpenSSH has no connect-and-leave mode: `ssh host true` also opens a
        # session channel and runs `true`, and pays for process start-up.
        walls, cpus, rss = [], [], 0
        for _ in range(self.handshakes):
            s = self.openssh_sample(["ssh"] + self.ssh_opts(link, cipher, None if kex == "default" else kex, keyfile) +
                                    [f"{self.user}@127.0.0.1", "true"], 0)
            if not s.ok:
                return s
            walls.append(s.wall)
            cpus.append(s.cpu)
            rss = max(rss, s.rss_kib)
        return Sample(True, wall=statistics.median(walls), cpu=statistics.mean(cpus), rss_kib=rss,
                      per=self.handshakes)

    @staticmethod
    def openssh_version():
        return subprocess.run(["ssh", "-V"], capture_output=True, text=True).stderr.split(",")[0].strip()

    # ---- the run -----------------------------------------------------------
    def cells(self):
        return make_cells(self.args)

    def run(self):
        cells = self.cells()
        results = {c["id"]: {k: [] for k in CLIENTS} for c in cells}
        t0 = time.monotonic()
        for r in range(self.args.runs):
            order = CLIENTS[r % 3:] + CLIENTS[:r % 3]
            for i, cell in enumerate(cells):
                for client in order:
                    fn = self.handshake if cell["kind"] == "handshake" else self.transfer
                    s = fn(client, cell)
                    results[cell["id"]][client].append(s)
                    state = "ok" if s.ok else "FAILED " + s.error
                    log(f"run {r + 1}/{self.args.runs} [{i + 1}/{len(cells)}] {cell['id']} {client}: {state}"
                        + (f" {s.wall:.3f}s" if s.ok else ""))
        return cells, results, time.monotonic() - t0


def make_cells(args):
    """Every cell of the run: (handshake | transfer) x link x ..., filtered by --only."""
    cells = []
    for link in args.links:
        for kex in KEXES:
            for kname, kfile in USER_KEYS:
                cells.append({"kind": "handshake", "link": link, "kex": kex, "keyname": kname, "keyfile": kfile,
                              "id": f"handshake {kname} {kex} {link}"})
        for w in TRANSFERS:
            for cipher, cname in CIPHERS:
                cells.append({"kind": "transfer", "link": link, "cipher": cipher, "cname": cname, "workload": w,
                              "id": f"{w[0]} {cname} {link}"})
    if args.only:
        rx = re.compile(args.only)
        cells = [c for c in cells if rx.search(c["id"])]
    return cells


# ---- reporting ---------------------------------------------------------------
def summarize(samples, kind):
    """Medians over the successful runs, or None when every run failed."""
    ok = [s for s in samples if s.ok]
    if not ok:
        err = samples[0].error if samples else "not run"
        return {"error": err}
    d = {"runs": len(ok), "rss_mib": statistics.median(s.rss_kib for s in ok) / 1024,
         "capped": any(s.capped for s in ok)}
    if kind == "handshake":
        d["ms"] = statistics.median(s.wall for s in ok) * 1000
        d["cpu_ms"] = statistics.median(s.cpu for s in ok) * 1000
    else:
        d["mibs"] = statistics.median(s.nbytes / MIB / s.wall for s in ok)
        d["cpu_gib"] = statistics.median(s.cpu / (s.nbytes / GIB) for s in ok if s.nbytes)
    return d


def fmt(v, digits=1):
    return "n/a" if v is None else f"{v:.{digits}f}"


def ratio(a, b, digits=2):
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.{digits}f}×"


def cellval(s, key, digits=1):
    if "error" in s:
        e = s["error"]
        return "n/a" if e.startswith("n/a") else "failed"
    v = fmt(s[key], digits)
    return v + ("†" if s.get("capped") and key == "mibs" else "")


def machine():
    cpu = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal"):
            mem = int(line.split()[1]) // (1024 * 1024)
    ossl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": mem, "kernel": platform.release(),
            "openssh": Bench.openssh_version(), "openssl": ossl,
            "os": next((l.split("=", 1)[1].strip().strip('"') for l in open("/etc/os-release")
                        if l.startswith("PRETTY_NAME")), "")}


LIB_PATHS = ["src", "Cargo.toml", "Cargo.lock", ".cargo"]


def lib_rev(root, rev="HEAD"):
    """The last commit (at `rev`) that changed the library's sources: runs at
    commits that differ only in tests, scripts or docs measure the same code."""
    r = subprocess.run(["git", "-C", root, "log", "-1", "--format=%h", rev, "--"] + LIB_PATHS,
                       capture_output=True, text=True)
    return r.stdout.strip() or "unknown"


def git_rev(root):
    r = subprocess.run(["git", "-C", root, "describe", "--always", "--dirty"], capture_output=True, text=True)
    return r.stdout.strip() or "unknown"


def runs_text(args):
    """Runs per cell: one number, or the range over merged runs."""
    lo, hi = getattr(args, "runs_range", (args.runs, args.runs))
    return str(lo) if lo == hi else f"{lo}–{hi}"


def report(args, cells, results, elapsed, load_before, load_after, root):
    summ = {}
    for c in cells:
        summ[c["id"]] = {k: summarize(results[c["id"]][k], c["kind"]) for k in CLIENTS}
    m = machine()
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    L = []
    L.append("# Benchmarks\n")
    L.append("<!-- Generated by bench/run.sh; edit bench/run.py, not this file. -->\n")
    L.append(f"Generated by `bench/run.sh{' --quick' if args.quick else ''}` on {date}, "
             f"{runs_text(args)} run(s) per cell, median shown; {'quick mode (smaller files)' if args.quick else 'full mode'}; "
             f"the whole run took {elapsed / 60:.1f} min.\n")
    L.append("| | |\n|---|---|")
    L.append(f"| CPU | {m['cpu']}, {m['cores']} cores, {m['mem_gib']} GiB RAM |")
    L.append(f"| OS, kernel | {m['os']}, Linux {m['kernel']} |")
    L.append(f"| sshd and OpenSSH clients | {m['openssh']} ({m['openssl']}) |")
    L.append("| reference | libssh2 1.11.1 (Debian source 1.11.1-1+deb13u2), OpenSSL backend, CMake Release |")
    sources = getattr(args, "sources", None)
    if sources:
        L.append("| ours | libssh2.so from `cargo build --release`, per merged run below |")
        for name, links, runs, commit in sources:
            L.append(f"| merged run `{name}` | {links}; {runs} run(s); ours at commit {commit} |")
    else:
        L.append(f"| ours | libssh2.so from `cargo build --release`, commit {git_rev(root)} |")
    L.append(f"| load average (1 min) before / after | {load_before:.2f} / {load_after:.2f} |")
    L.append("")
    L.append("Columns: **MiB/s** = bytes moved / wall time of connect + auth + transfer + disconnect; "
             "**CPU s/GiB** = client user+sys CPU seconds per GiB moved (handshake included); "
             "**RSS** = peak resident set of the client process in MiB. "
             "Ratios are ours ÷ other. † = the library transfer hit the time cap and the rate is over what it "
             "moved by then. *failed* = the client could not do it (see the log), *n/a* = not available here.\n")

    def link_title(link):
        return "loopback" if link == "loopback" else f"{RTT_MS[link]} ms round-trip time (delay proxy)"

    links = [l for l in args.links if any(c["link"] == l for c in cells)]
    for link in links:
        tcells = [c for c in cells if c["link"] == link and c["kind"] == "transfer"]
        if tcells:
            size = SIZES[link][1 if args.quick else 0]
            L.append(f"## Transfers, {link_title(link)}, {size // MIB} MiB\n")
            L.append("| workload | cipher | ours MiB/s | ref MiB/s | OpenSSH MiB/s | ours/ref | ours/OpenSSH "
                     "| ours CPU s/GiB | ref CPU | OpenSSH CPU | CPU ours/ref | CPU ours/OpenSSH "
                     "| RSS ours | RSS ref | RSS OpenSSH |")
            L.append("|---|---|" + "---:|" * 13)
            for c in tcells:
                s = summ[c["id"]]
                o, r, x = s["ours"], s["ref"], s["openssh"]
                L.append(f"| {c['workload'][0]} | {c['cname']} | {cellval(o, 'mibs')} | {cellval(r, 'mibs')} "
                         f"| {cellval(x, 'mibs')} | {ratio(o.get('mibs'), r.get('mibs'))} "
                         f"| {ratio(o.get('mibs'), x.get('mibs'))} | {cellval(o, 'cpu_gib', 2)} "
                         f"| {cellval(r, 'cpu_gib', 2)} | {cellval(x, 'cpu_gib', 2)} "
                         f"| {ratio(o.get('cpu_gib'), r.get('cpu_gib'))} | {ratio(o.get('cpu_gib'), x.get('cpu_gib'))} "
                         f"| {cellval(o, 'rss_mib')} | {cellval(r, 'rss_mib')} | {cellval(x, 'rss_mib')} |")
            L.append("")
    hcells = [c for c in cells if c["kind"] == "handshake"]
    if hcells:
        L.append("## Connect + handshake + auth + disconnect\n")
        L.append(f"Median latency of {HANDSHAKES[1 if args.quick else 0]} connections per run; cipher "
                 f"{CIPHERS[0][0]}. Kex *default* = each client's own preference order against this sshd "
                 "(ours: mlkem768x25519-sha256 first, then curve25519-sha256, so curve25519 against an sshd "
                 "without ML-KEM; OpenSSH 9.2: sntrup761x25519-sha512@openssh.com; libssh2 1.11.1: "
                 "curve25519-sha256). The mlkem768x25519 rows are n/a where the sshd (before OpenSSH 9.9) "
                 "does not offer it. "
                 "OpenSSH is `ssh host true` (also opens a session, runs `true`, and starts "
                 "a process), so it is an upper bound, not a like-for-like figure.\n")
        L.append("| link | user key | kex | ours ms | ref ms | OpenSSH ms | ours/ref | ours CPU ms | ref CPU ms "
                 "| OpenSSH CPU ms | RSS ours | RSS ref |")
        L.append("|---|---|---|" + "---:|" * 9)
        for c in hcells:
            s = summ[c["id"]]
            o, r, x = s["ours"], s["ref"], s["openssh"]
            L.append(f"| {c['link']} | {c['keyname']} | {c['kex']} | {cellval(o, 'ms')} | {cellval(r, 'ms')} "
                     f"| {cellval(x, 'ms')} | {ratio(o.get('ms'), r.get('ms'))} | {cellval(o, 'cpu_ms', 2)} "
                     f"| {cellval(r, 'cpu_ms', 2)} | {cellval(x, 'cpu_ms', 2)} | {cellval(o, 'rss_mib')} "
                     f"| {cellval(r, 'rss_mib')} |")
        L.append("")
    L += targets(cells, summ)
    failures = sorted({(c["id"], k, results[c["id"]][k][0].error) for c in cells for k in CLIENTS
                       if results[c["id"]][k] and not any(s.ok for s in results[c["id"]][k])
                       and not results[c["id"]][k][0].error.startswith("n/a")})
    if failures:
        L.append("## Failed cells\n")
        for cid, k, e in failures[:60]:
            L.append(f"- {cid}, {CLIENT_NAMES[k]}: {e}")
        if len(failures) > 60:
            L.append(f"- ... and {len(failures) - 60} more")
        L.append("")
    L.append(METHOD)
    return "\n".join(L) + "\n", summ, m


def targets(cells, summ):
    """The project's performance targets, checked cell by cell."""
    checks = {
        "client CPU/GiB ≤ 0.5× reference libssh2": [],
        "client CPU/GiB ≤ OpenSSH's client": [],
        "SFTP MiB/s ≥ 1.3× reference libssh2": [],
        "SFTP MiB/s ≥ OpenSSH sftp": [],
        "handshake latency ≤ reference libssh2": [],
    }
    for c in cells:
        s = summ[c["id"]]
        o, r, x = s["ours"], s["ref"], s["openssh"]
        if c["kind"] == "handshake":
            if "ms" in r:
                checks["handshake latency ≤ reference libssh2"].append((c["id"], o.get("ms"), r["ms"], 1.0, False))
            continue
        if "cpu_gib" in r:
            checks["client CPU/GiB ≤ 0.5× reference libssh2"].append((c["id"], o.get("cpu_gib"), r["cpu_gib"], 0.5,
                                                                      False))
        if "cpu_gib" in x:
            checks["client CPU/GiB ≤ OpenSSH's client"].append((c["id"], o.get("cpu_gib"), x["cpu_gib"], 1.0, False))
        if c["workload"][1].startswith("sftp"):
            if "mibs" in r:
                checks["SFTP MiB/s ≥ 1.3× reference libssh2"].append((c["id"], o.get("mibs"), r["mibs"], 1.3, True))
            if "mibs" in x:
                checks["SFTP MiB/s ≥ OpenSSH sftp"].append((c["id"], o.get("mibs"), x["mibs"], 1.0, True))
    L = ["## Targets\n", "| target | met | missed | ours failed | worst cell (ours ÷ other) |", "|---|---:|---:|---:|---|"]
    for name, rows in checks.items():
        met = missed = failed = 0
        worst = None
        for cid, ov, other, factor, higher in rows:
            if ov is None:
                failed += 1
                continue
            rel = ov / other if other else float("inf")
            good = rel >= factor if higher else rel <= factor
            met += good
            missed += not good
            badness = -rel if higher else rel
            if worst is None or badness > worst[0]:
                worst = (badness, cid, rel)
        w = f"{worst[1]}: {worst[2]:.2f}×" if worst else "–"
        L.append(f"| {name} | {met} | {missed} | {failed} | {w} |")
    L.append("")
    return L


METHOD = """## Method

- `bench/run.sh [--quick] [--runs N] [--links loopback,20ms,100ms] [--only REGEX]` builds our library
  (`cargo build --release`), the reference libssh2 1.11.1 from Debian's source package with its OpenSSL
  backend (into `.cache/bench/`), the C client `bench/bench.c` (compiled once against `include/`) and
  the delay proxy `bench/delayproxy.c`, starts one private sshd (`scripts/sshd-fixture.sh`) and
  measures every cell for each client in turn, rotating the order every run.
- `--from-json FILE` (repeatable) rewrites this report from saved raw samples without measuring;
  several files are merged (a cell measured again at the same commit pools its samples; at a
  later commit, the later file's cell replaces it), so links or
  workloads can be measured in separate runs; the header then names each run and its commit.
- The same `bench` binary runs on both libraries; only `LD_LIBRARY_PATH` differs, and the harness
  checks which `libssh2.so.1` the loader picked. Data read is discarded; data written comes from a
  file in `/dev/shm`; server-side files are in `/dev/shm` too, so no disk is involved.
- Every client runs under `bench/runwait.c`, which records wall time, user+sys CPU and peak RSS from
  `wait4()` (the harness itself is never the parent at exec time, so its own RSS cannot leak into
  the figure).
- OpenSSH's clients: `ssh host "cat FILE"` (output to /dev/null), `sftp -b` with
  `get FILE /dev/null` / `put FILE`, and `scp -O` (the SCP protocol libssh2 speaks). Their CPU and
  peak RSS include the `ssh` child process that `sftp` and `scp` start (rusage of the reaped child
  tree; the RSS is the larger of the two processes). OpenSSH's figures use the wall time of the
  process; the libraries' use the time from before `connect()` to after disconnect, measured in
  `bench.c`. Caller buffers (1 MiB, 16 KiB) apply to the libraries; OpenSSH's sftp uses its default
  (32 KiB requests, 64 outstanding) for both rows.
- Round-trip times come from `bench/delayproxy.c`, a loopback TCP proxy that holds every chunk for
  RTT/2 in each direction (the kernel here has no netem). It models latency as SSH windows and SFTP
  request pipelining see it; it adds no bandwidth limit, loss or TCP slow start.
- Transfers use kex curve25519-sha256 for every client, so their CPU figures are about the transfer.
- Transfer sizes are 1 GiB on loopback, 256 MiB at 20 ms and 64 MiB at 100 ms (quick: 256/64/16 MiB);
  a library transfer stops after 30 s (quick: 10 s) and reports its rate so far (marked †).
- The machine is shared: other jobs ran during the measurement (see the load average), which
  spreads wall-clock figures more than CPU-second figures. Compare ratios within one run, not
  absolute numbers across runs.
"""


def chart(args, cells, summ, path_png):
    """A clustered bar chart of MiB/s per workload, one panel per link (gnuplot)."""
    if not shutil.which("gnuplot"):
        log("gnuplot not found: no chart")
        return False
    links = [l for l in args.links if any(c["link"] == l and c["kind"] == "transfer" for c in cells)]
    if not links:
        return False
    tmp = tempfile.mkdtemp(prefix="libssh2-bench-plot.")
    script = [f"set terminal pngcairo size 1400,{460 * len(links)} font 'sans,10' background '#ffffff'",
              f"set output '{path_png}'",
              f"set multiplot layout {len(links)},1",
              "set style data histograms", "set style histogram clustered gap 1",
              "set style fill solid 0.85 border -1", "set boxwidth 0.9", "set grid ytics",
              "set termoption noenhanced", "set ylabel 'MiB/s'", "set xtics rotate by 40 right font ',9'",
              "set key tmargin center horizontal",
              "set datafile missing '?'", "set yrange [0:*]", "set bmargin 9"]
    for link in links:
        fn = os.path.join(tmp, f"{link}.dat")
        with open(fn, "w") as f:
            for c in cells:
                if c["link"] != link or c["kind"] != "transfer":
                    continue
                s = summ[c["id"]]
                vals = ["?" if "mibs" not in s[k] else f"{s[k]['mibs']:.2f}" for k in CLIENTS]
                label = f"{c['workload'][0]} {c['cname']}"
                f.write(f"\"{label}\" {' '.join(vals)}\n")
        size = SIZES[link][1 if args.quick else 0] // MIB
        title = "loopback" if link == "loopback" else f"{RTT_MS[link]} ms RTT"
        script.append(f"set title 'Throughput, {title}, {size} MiB (higher is better)'")
        script.append(f"plot '{fn}' using 2:xtic(1) title 'ours' lc rgb '#1f77b4', "
                      f"'' using 3 title 'libssh2 1.11.1' lc rgb '#ff7f0e', "
                      f"'' using 4 title 'OpenSSH' lc rgb '#2ca02c'")
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 run, smaller files, shorter caps")
    ap.add_argument("--runs", type=int, help="runs per cell (default 3, quick 1)")
    ap.add_argument("--links", default="loopback,20ms,100ms", help="comma list of loopback,20ms,100ms")
    ap.add_argument("--only", help="regex on cell ids, e.g. 'exec|handshake'")
    ap.add_argument("--out", default="docs/benchmarks.md", help="markdown report (chart next to it)")
    ap.add_argument("--from-json", action="append",
                    help="rewrite the report from saved .cache/bench/results-*.json files, measuring nothing; "
                         "given several times, the runs are merged (e.g. loopback and RTT links run apart)")
    args = ap.parse_args()
    args.links = [l.strip() for l in args.links.split(",") if l.strip()]
    for l in args.links:
        if l not in RTT_MS:
            ap.error(f"unknown link {l}")
    if args.runs is None:
        args.runs = 1 if args.quick else 3
    root = os.environ["BENCH_ROOT"]
    if args.from_json:
        saves = []
        for path in args.from_json:
            with open(path) as f:
                saves.append(json.load(f))
        if len({s["args"]["quick"] for s in saves}) > 1:
            ap.error("cannot merge quick and full runs")
        args.quick = saves[0]["args"]["quick"]
        args.runs = max(s["args"]["runs"] for s in saves)
        args.links = [l for l in RTT_MS if any(l in s["args"]["links"] for s in saves)]
        args.only = None
        args.sources = [(os.path.basename(path), ", ".join(sv["args"]["links"]), sv["args"]["runs"],
                         f'{sv["commit"]} (library sources as of {sv.get("lib_commit") or lib_rev(root, sv["commit"])})'
                         if "commit" in sv else "not recorded") for path, sv in zip(args.from_json, saves)]
        # A cell measured again at the same commit pools its samples (more
        # runs); measured at another commit, the later file replaces it.
        results, cell_commit, cell_runs = {}, {}, {}
        for sv in saves:
            commit = sv.get("lib_commit") or lib_rev(root, sv["commit"]) if "commit" in sv else "not recorded"
            for cid, r in sv["samples"].items():
                new = {k: [Sample(**x) for x in v] for k, v in r.items()}
                if cid in results and cell_commit[cid] == commit and commit != "not recorded":
                    for k, v in new.items():
                        results[cid].setdefault(k, []).extend(v)
                    cell_runs[cid] += sv["args"]["runs"]
                else:
                    results[cid], cell_commit[cid], cell_runs[cid] = new, commit, sv["args"]["runs"]
        args.runs_range = (min(cell_runs.values()), max(cell_runs.values())) if cell_runs else (0, 0)
        # Only the cells some run measured, in the usual order.
        cells = [c for c in make_cells(args) if c["id"] in results]
        elapsed = sum(s["elapsed_s"] for s in saves)
        load_before = saves[0].get("load", (0.0, 0.0))[0]
        load_after = saves[-1].get("load", (0.0, 0.0))[1]
    else:
        b = Bench(args)
        load_before = os.getloadavg()[0]
        try:
            b.start()
            cells, results, elapsed = b.run()
        finally:
            b.stop()
        load_after = os.getloadavg()[0]
    out = os.path.join(root, args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    md, summ, m = report(args, cells, results, elapsed, load_before, load_after, root)
    png = os.path.splitext(out)[0] + ".png"
    if chart(args, cells, summ, png):
        md = md.replace("## Transfers", f"![throughput chart]({os.path.basename(png)})\n\n## Transfers", 1)
    # Sections other benchmarks own (bench/mdsections.py) stay.
    if os.path.exists(out):
        with open(out) as f:
            md = mdsections.keep(f.read(), md)
    with open(out, "w") as f:
        f.write(md)
    if args.from_json:
        log(f"rewrote {out} from {', '.join(args.from_json)}")
        return
    raw = os.path.join(root, ".cache/bench", "results-" + time.strftime("%Y%m%d-%H%M%S") + ".json")
    with open(raw, "w") as f:
        json.dump({"args": vars(args), "machine": m, "commit": git_rev(root), "lib_commit": lib_rev(root),
                   "elapsed_s": elapsed,
                   "load": [load_before, load_after],
                   "summary": summ,
                   "samples": {cid: {k: [s.to_json() for s in v] for k, v in r.items()}
                               for cid, r in results.items()}}, f, indent=1)
    log(f"wrote {out}, {png if os.path.exists(png) else 'no chart'}, raw samples {raw}; took {elapsed / 60:.1f} min")


if __name__ == "__main__":
    main()

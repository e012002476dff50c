#!/usr/bin/env python3
"""SFTP upload benchmark (issue 18): default writes against write-behind.

Run by bench/upload.sh (which builds everything through bench/run.sh and
passes the same BENCH_* environment). One private sshd, a delay proxy per
link; for every link (loopback, 20 ms, 100 ms round trip) it uploads one
64 MiB file with
  - Debian's curl (`curl -T`, which writes 64 KiB a call), loaded with our
    library (default, and LIBSSH2_SFTP_WRITE_BEHIND set) and with libssh2 1.11.1;
  - bench/bench.c sftp-put with 8 KiB, 64 KiB and 1 MiB caller buffers, the
    same three ways;
  - OpenSSH's `sftp` put, for the target;
and writes the table into docs/benchmarks.md (section "upload", which
bench/run.py keeps). Every client uses its default cipher among those the
sshd allows. A client slower than the cap stops after CAP seconds and its
rate is over the bytes it moved (marked †).
"""
import argparse
import datetime
import os
import subprocess
import sys

import mdsections
import run

MIB = 1 << 20
SIZE = 64 * MIB
# Seconds a library client may run (curl --max-time, bench.c -t).
CAP = {"full": 60, "quick": 15}
WRITE_BEHIND = "16M"
BUFFERS = [("8K", 8 * 1024), ("64K", 64 * 1024), ("1M", MIB)]
# (label, library, write-behind on)
LIB_VARIANTS = [("ours", "ours", False), ("ours write-behind", "ours", True), ("libssh2 1.11.1", "ref", False)]
CURL_EXIT_TIMEOUT = 28


class UploadBench(run.Bench):
    def env(self, lib, wb):
        env = self.lib_env(lib)
        env.pop("LIBSSH2_SFTP_WRITE_BEHIND", None)
        if wb:
            env["LIBSSH2_SFTP_WRITE_BEHIND"] = WRITE_BEHIND
        return env

    def local_file(self):
        path = os.path.join(self.data, "upload-src")
        if not os.path.exists(path):
            chunk = os.urandom(MIB)
            with open(path, "wb") as f:
                for _ in range(SIZE // MIB):
                    f.write(chunk)
            os.chmod(path, 0o644)
        return path

    def curl(self, link, lib, wb, cap):
        dst = os.path.join(self.data, "up-curl")
        key = self.key("id_ed25519")
        argv = ["curl", "-sS", "-k", "-u", f"{self.user}:", "--key", key, "--pubkey", key + ".pub",
                "-T", self.local_file(), f"sftp://127.0.0.1:{self.port[link]}{dst}",
                "--max-time", str(cap), "-w", "%{size_upload} %{time_total}\n"]
        rc, out, err, ru, _ = run.run_measured(argv, env=self.env(lib, wb), timeout=cap + 30)
        fields = out.split()
        if rc not in (0, CURL_EXIT_TIMEOUT) or len(fields) < 2:
            return {"error": (err.strip().splitlines() or [f"exit {rc}"])[-1][:120]}
        return {"bytes": float(fields[-2]), "wall": float(fields[-1]), "cpu": ru.cpu,
                "capped": rc == CURL_EXIT_TIMEOUT}

    def bench_put(self, link, lib, wb, buf, cap):
        argv = [self.bin, "sftp-put", "-h", "127.0.0.1", "-P", str(self.port[link]), "-u", self.user,
                "-k", self.key("id_ed25519"), "-r", os.path.join(self.data, "up-bench"), "-l", self.local_file(),
                "-s", str(SIZE), "-b", str(buf), "-t", str(cap)]
        rc, out, err, ru, to = run.run_measured(argv, env=self.env(lib, wb), timeout=cap + 30)
        kv = run.parse_kv(out.strip().splitlines()[-1] if out.strip() else "")
        if to or rc != 0 or "bytes" not in kv:
            return {"error": kv.get("error", "") or (err.strip().splitlines() or [f"exit {rc}"])[-1][:120]}
        return {"bytes": float(kv["bytes"]), "wall": float(kv["total_s"]), "cpu": ru.cpu,
                "capped": kv.get("capped") == "1"}

    def openssh_put(self, link):
        o = run.SSH_OPTS_BASE + ["-i", self.key("id_ed25519"), "-o", f"Port={self.port[link]}"]
        dest = f"{self.user}@127.0.0.1"
        cmd = f"put {self.local_file()} {os.path.join(self.data, 'up-sftp')}\n".encode()
        rc, _, err, ru, to = run.run_measured(["sftp"] + o + ["-b", "-", dest], timeout=run.OPENSSH_TIMEOUT,
                                              stdin_data=cmd)
        if to or rc != 0:
            return {"error": (err.strip().splitlines() or [f"exit {rc}"])[-1][:120]}
        return {"bytes": float(SIZE), "wall": ru.wall, "cpu": ru.cpu, "capped": False}


def mibs(r):
    if "error" in r:
        return "failed"
    return f"{r['bytes'] / MIB / r['wall']:.1f}" + ("†" if r["capped"] else "")


def cpu(r):
    if "error" in r or not r["bytes"]:
        return "–"
    return f"{r['cpu'] / (r['bytes'] / (1 << 30)):.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="shorter caps")
    ap.add_argument("--links", default="loopback,20ms,100ms")
    ap.add_argument("--out", default="docs/benchmarks.md")
    args = ap.parse_args()
    args.links = [l.strip() for l in args.links.split(",") if l.strip()]
    args.runs, args.only = 1, None
    cap = CAP["quick" if args.quick else "full"]
    b = UploadBench(args)
    rows = []
    load_before = os.getloadavg()[0]
    try:
        b.start()
        for link in args.links:
            row = {"link": link, "cells": {}}
            for label, lib, wb in LIB_VARIANTS:
                r = b.curl(link, lib, wb, cap)
                row["cells"][("curl -T", label)] = r
                run.log(f"{link} curl -T {label}: {mibs(r)} MiB/s {r.get('error', '')}")
                for bname, buf in BUFFERS:
                    r = b.bench_put(link, lib, wb, buf, cap)
                    row["cells"][(f"bench {bname}", label)] = r
                    run.log(f"{link} bench {bname} {label}: {mibs(r)} MiB/s {r.get('error', '')}")
            r = b.openssh_put(link)
            row["openssh"] = r
            run.log(f"{link} OpenSSH sftp put: {mibs(r)} MiB/s {r.get('error', '')}")
            rows.append(row)
    finally:
        b.stop()
    load_after = os.getloadavg()[0]
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    L = ["## SFTP upload: default writes and write-behind (issue 18)\n",
         f"Generated by `bench/upload.sh{' --quick' if args.quick else ''}` on {date}, ours at commit "
         f"{run.git_rev(b.root)}; one run per cell, {SIZE // MIB} MiB uploaded, each client with its default "
         f"cipher; cap {cap} s († = stopped at the cap, rate over the bytes moved); load average (1 min) "
         f"{load_before:.2f} before, {load_after:.2f} after. Write-behind: `LIBSSH2_SFTP_WRITE_BEHIND="
         f"{WRITE_BEHIND}` in the environment of the unchanged program. MiB/s, and client CPU s/GiB in "
         "parentheses.\n",
         "| link | workload | ours | ours write-behind | libssh2 1.11.1 | write-behind/default | OpenSSH sftp put |",
         "|---|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        workloads = ["curl -T"] + [f"bench {n}" for n, _ in BUFFERS]
        for w in workloads:
            c = row["cells"]
            d, wbr, ref = c[(w, "ours")], c[(w, "ours write-behind")], c[(w, "libssh2 1.11.1")]
            gain = "–"
            if "error" not in d and "error" not in wbr:
                gain = f"{(wbr['bytes'] / wbr['wall']) / (d['bytes'] / d['wall']):.1f}×"
            o = row["openssh"]
            L.append(f"| {row['link']} | {w} | {mibs(d)} ({cpu(d)}) | {mibs(wbr)} ({cpu(wbr)}) | "
                     f"{mibs(ref)} ({cpu(ref)}) | {gain} | {mibs(o)} ({cpu(o)}) |")
    body = "\n".join(L) + "\n"
    print(body)
    out = os.path.join(b.root, args.out)
    text = open(out).read() if os.path.exists(out) else ""
    with open(out, "w") as f:
        f.write(mdsections.replace(text, "upload", body))
    run.log(f"wrote section 'upload' of {out}")


if __name__ == "__main__":
    sys.exit(main())

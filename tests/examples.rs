//! Builds every C program in examples/ against include/ and the libssh2.so
//! of this cargo profile (target/release under `cargo test --release`), then
//! runs each against a private OpenSSH sshd (scripts/sshd-fixture.sh) and
//! checks what it did: files round-trip byte for byte, tunnels carry the
//! server's banner, the shell runs commands fed on stdin, and so on.
//!
//! Set LIBSSH2_EXAMPLES_LIB to another libssh2.so (for example upstream's
//! /usr/lib/x86_64-linux-gnu/libssh2.so.1) to run the same checks on it:
//! that tells example bugs from library bugs.
//!
//! An example that needs functions the built library does not export yet is
//! reported by name with the missing symbols, and the test fails: nothing is
//! skipped silently. Needs root (as CI runs it) for the password and
//! keyboard-interactive logins of the fixture's test user.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Longest time one example may run.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);
/// Size of the files sent back and forth: several SFTP/SCP packets and
/// channel windows, with a length that is not a round number.
const PAYLOAD_LEN: usize = 300_001;
/// Every example, by source name (examples/NAME.c).
const EXAMPLES: &[&str] = &[
    "ssh2_exec",
    "shell",
    "sftp_download",
    "sftp_upload",
    "sftp_nonblock",
    "sftp_list",
    "scp_download",
    "scp_upload",
    "direct_tcpip",
    "remote_forward",
    "agent_auth",
    "known_hosts",
    "kbd_interactive",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// target/<profile>, where cargo put libssh2.so for the profile under test.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/<profile>/deps/examples-<hash>
    exe.parent().and_then(Path::parent).expect("target/<profile>").to_path_buf()
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Symbols the library exports.
fn exported(lib: &Path) -> BTreeSet<String> {
    let out = run(Command::new("nm").args(["-D", "--defined-only"]).arg(lib));
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.split_whitespace().nth(2)).map(String::from).collect()
}

/// libssh2 functions an object file calls (macros already expanded).
fn needed(obj: &Path) -> BTreeSet<String> {
    let out = run(Command::new("nm").arg("-u").arg(obj));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .filter(|s| s.starts_with("libssh2_"))
        .map(String::from)
        .collect()
}

/// The running sshd of scripts/sshd-fixture.sh; stopped on drop.
struct Fixture {
    dir: PathBuf,
    host: String,
    port: String,
    user: String,
    key: String,
    password: String,
}

impl Fixture {
    fn start(dir: PathBuf) -> Fixture {
        run(Command::new(root().join("scripts/sshd-fixture.sh")).arg("start").arg(&dir));
        let env = std::fs::read_to_string(dir.join("env")).expect("fixture env");
        let get = |k: &str| {
            env.lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .map(|v| v.trim_matches('"').to_string())
                .unwrap_or_default()
        };
        Fixture {
            host: get("SSHD_HOST"),
            port: get("SSHD_PORT"),
            user: get("SSHD_USER"),
            key: get("SSHD_KEY"),
            password: get("SSHD_PASSWORD"),
            dir,
        }
    }

    /// HOST PORT USER -k KEY: the first arguments of most examples.
    fn key_args(&self) -> Vec<String> {
        vec![self.host.clone(), self.port.clone(), self.user.clone(), "-k".into(), self.key.clone()]
    }

    /// The host's public keys as known_hosts lines for "[host]:port".
    fn known_hosts_lines(&self) -> String {
        ["ed25519", "ecdsa", "rsa"]
            .iter()
            .map(|k| {
                let pubkey = std::fs::read_to_string(self.dir.join(format!("ssh_host_{k}_key.pub"))).expect("host key");
                let mut f = pubkey.split_whitespace();
                format!("[{}]:{} {} {}\n", self.host, self.port, f.next().unwrap_or(""), f.next().unwrap_or(""))
            })
            .collect()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = Command::new(root().join("scripts/sshd-fixture.sh")).arg("stop").arg(&self.dir).output();
    }
}

/// Runs a built example with `stdin` as its input, within RUN_TIMEOUT.
struct Runner {
    bin: PathBuf,
    libdir: PathBuf,
}

impl Runner {
    fn command(&self, name: &str, args: &[String]) -> Command {
        let mut c = Command::new(self.bin.join(name));
        c.args(args).env("LD_LIBRARY_PATH", &self.libdir);
        c
    }

    fn spawn(&self, mut c: Command) -> Child {
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn example")
    }

    fn run(&self, name: &str, args: &[String], stdin: &str, env: &[(&str, &str)]) -> Result<String, String> {
        let mut c = self.command(name, args);
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = self.spawn(c);
        if let Some(mut i) = child.stdin.take() {
            let _ = i.write_all(stdin.as_bytes());
        }
        finish(child, name)
    }
}

/// Waits for an example (killing it after RUN_TIMEOUT) and returns its
/// stdout, or a description of the failure.
fn finish(mut child: Child, name: &str) -> Result<String, String> {
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().map_err(|e| e.to_string())? {
            break s;
        }
        if start.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{name} did not finish within {RUN_TIMEOUT:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (mut out, mut err) = (String::new(), String::new());
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    if status.success() {
        Ok(out)
    } else {
        Err(format!("{name} exited with {status}\nstdout: {out}\nstderr: {err}"))
    }
}

fn expect_contains(out: Result<String, String>, what: &str) -> Result<String, String> {
    let out = out?;
    if out.contains(what) {
        Ok(out)
    } else {
        Err(format!("output lacks {what:?}:\n{out}"))
    }
}

fn same_file(a: &Path, b: &Path) -> Result<(), String> {
    let (x, y) = (std::fs::read(a).map_err(|e| e.to_string())?, std::fs::read(b).map_err(|e| e.to_string())?);
    if x == y {
        Ok(())
    } else {
        Err(format!("{} ({} bytes) differs from {} ({} bytes)", a.display(), x.len(), b.display(), y.len()))
    }
}

/// A payload that is not all one byte (catches offset mistakes).
fn payload() -> Vec<u8> {
    let mut state: u32 = 0x1234_5678;
    (0..PAYLOAD_LEN)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect()
}

fn s(x: &Path) -> String {
    x.display().to_string()
}

#[test]
fn examples_build_and_run_against_sshd() {
    let lib = std::env::var_os("LIBSSH2_EXAMPLES_LIB").map_or_else(|| profile_dir().join("libssh2.so"), PathBuf::from);
    assert!(lib.exists(), "{} is missing: build the library first (cargo build --release)", lib.display());
    let work = tempfile::tempdir().expect("temp dir");
    let (bin, libdir, objs) = (work.path().join("bin"), work.path().join("lib"), work.path().join("obj"));
    for d in [&bin, &libdir, &objs] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    // The library's SONAME is libssh2.so.1: give the loader that name.
    std::os::unix::fs::symlink(&lib, libdir.join("libssh2.so.1")).expect("symlink");
    std::os::unix::fs::symlink(&lib, libdir.join("libssh2.so")).expect("symlink");

    // Which examples can link at all?
    let exports = exported(&lib);
    let mut failures = Vec::new();
    let mut buildable = Vec::new();
    for name in EXAMPLES {
        let obj = objs.join(format!("{name}.o"));
        run(Command::new("cc")
            .args(["-c", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Werror", "-I"])
            .arg(root().join("include"))
            .arg(root().join(format!("examples/{name}.c")))
            .arg("-o")
            .arg(&obj));
        let missing: Vec<_> = needed(&obj).difference(&exports).cloned().collect();
        if missing.is_empty() {
            buildable.push(*name);
        } else {
            failures.push(format!("{name}: needs exports missing from {}: {}", lib.display(), missing.join(" ")));
        }
    }
    // Build them with examples/Makefile, as a user would.
    let targets: Vec<String> = buildable.iter().map(|n| s(&bin.join(n))).collect();
    run(Command::new("make")
        .arg("-s")
        .arg("-C")
        .arg(root().join("examples"))
        .arg(format!("OUT={}", bin.display()))
        .arg(format!("LIBSSH2_CFLAGS=-I{}", root().join("include").display()))
        .arg(format!("LIBSSH2_LIBS=-L{} -lssh2", libdir.display()))
        .args(&targets));

    let fx = Fixture::start(work.path().join("sshd"));
    let r = Runner { bin: bin.clone(), libdir: libdir.clone() };
    let k = fx.key_args();
    let with =
        |extra: &[&str]| -> Vec<String> { k.iter().cloned().chain(extra.iter().map(|x| x.to_string())).collect() };
    // Remote scratch space the test user can write: /tmp on the server.
    let remote_dir = format!("/tmp/libssh2rs-examples-{}", std::process::id());
    let local = |n: &str| work.path().join(n);
    std::fs::write(local("payload"), payload()).expect("payload");

    let mut results: Vec<(&str, Result<(), String>)> = Vec::new();
    let can = |n: &str| buildable.contains(&n);

    if can("ssh2_exec") {
        let out = r.run("ssh2_exec", &with(&[&format!("mkdir -p {remote_dir} && echo hello-exec")]), "", &[]);
        results.push(("ssh2_exec (key)", expect_contains(out, "hello-exec").map(drop)));
        let pw = if fx.password.is_empty() {
            Err("the fixture has no password user: run the test as root".to_string())
        } else {
            let args = vec![
                fx.host.clone(),
                fx.port.clone(),
                fx.user.clone(),
                "-p".into(),
                fx.password.clone(),
                "echo hello-password".into(),
            ];
            expect_contains(r.run("ssh2_exec", &args, "", &[]), "hello-password").map(drop)
        };
        results.push(("ssh2_exec (password)", pw));
    }
    if can("shell") {
        // The pty echoes our input; only the shell's own output has the 42.
        let out = r.run("shell", &k, "echo hello-shell-$((6*7))\nexit\n", &[]);
        results.push(("shell", expect_contains(out, "hello-shell-42").map(drop)));
    }
    let remote = |n: &str| format!("{remote_dir}/{n}");
    if can("sftp_upload") && can("sftp_download") {
        let res = r
            .run("sftp_upload", &with(&[&s(&local("payload")), &remote("sftp.bin")]), "", &[])
            .and_then(|_| r.run("sftp_download", &with(&[&remote("sftp.bin"), &s(&local("sftp.back"))]), "", &[]))
            .and_then(|_| same_file(&local("payload"), &local("sftp.back")));
        results.push(("sftp_upload + sftp_download", res));
    }
    if can("sftp_nonblock") {
        let res = r
            .run("sftp_nonblock", &with(&["put", &s(&local("payload")), &remote("nb.bin")]), "", &[])
            .and_then(|_| r.run("sftp_nonblock", &with(&["get", &remote("nb.bin"), &s(&local("nb.back"))]), "", &[]))
            .and_then(|_| same_file(&local("payload"), &local("nb.back")));
        results.push(("sftp_nonblock put + get", res));
    }
    if can("sftp_list") {
        let out = r.run("sftp_list", &with(&[&remote_dir]), "", &[]);
        let res = expect_contains(out, "sftp.bin").and_then(|o| expect_contains(Ok(o), "entries")).map(drop);
        results.push(("sftp_list", res));
    }
    if can("scp_upload") && can("scp_download") {
        let res = r
            .run("scp_upload", &with(&[&s(&local("payload")), &remote("scp.bin")]), "", &[])
            .and_then(|_| r.run("scp_download", &with(&[&remote("scp.bin"), &s(&local("scp.back"))]), "", &[]))
            .and_then(|_| same_file(&local("payload"), &local("scp.back")));
        results.push(("scp_upload + scp_download", res));
    }
    if can("direct_tcpip") {
        // Tunnel to the server's own SSH port: its banner comes back.
        let out = r.run("direct_tcpip", &with(&[&fx.host, &fx.port]), "", &[]);
        results.push(("direct_tcpip", expect_contains(out, "SSH-2.0-OpenSSH").map(drop)));
    }
    if can("remote_forward") {
        results.push(("remote_forward", remote_forward(&r, &with)));
    }
    if can("agent_auth") {
        results.push(("agent_auth", agent_auth(&r, &fx, work.path())));
    }
    if can("known_hosts") {
        results.push(("known_hosts", known_hosts(&r, &fx, &with, work.path())));
    }
    if can("kbd_interactive") {
        let res = if fx.password.is_empty() {
            Err("the fixture has no password user: run the test as root".to_string())
        } else {
            let args = vec![fx.host.clone(), fx.port.clone(), fx.user.clone(), fx.password.clone()];
            expect_contains(r.run("kbd_interactive", &args, "", &[]), "authenticated as").map(drop)
        };
        results.push(("kbd_interactive", res));
    }
    // Clean up the server-side scratch directory (best effort).
    if can("ssh2_exec") {
        let _ = r.run("ssh2_exec", &with(&[&format!("rm -rf {remote_dir}")]), "", &[]);
    }

    for (name, res) in &results {
        match res {
            Ok(()) => eprintln!("example {name}: ok"),
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{} example problem(s):\n{}", failures.len(), failures.join("\n\n"));
}

/// remote_forward prints the port the server listens on; a connection to it
/// must reach our local listener through the SSH connection.
fn remote_forward(r: &Runner, with: &dyn Fn(&[&str]) -> Vec<String>) -> Result<(), String> {
    let target = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let tport = target.local_addr().map_err(|e| e.to_string())?.port().to_string();
    let server = std::thread::spawn(move || {
        if let Ok((mut c, _)) = target.accept() {
            let _ = c.write_all(b"hello-forward\n");
        }
    });
    let mut child = r.spawn(r.command("remote_forward", &with(&["127.0.0.1", &tport])));
    // Whatever happens here, the child is reaped by finish() below.
    let got = (|| -> Result<String, String> {
        let mut out = child.stdout.take().ok_or("no stdout")?;
        let (mut line, mut byte) = (Vec::new(), [0u8; 1]);
        while out.read(&mut byte).map_err(|e| e.to_string())? == 1 && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        child.stdout = Some(out);
        let line = String::from_utf8_lossy(&line).to_string();
        let port = line.rsplit(':').next().unwrap_or("").trim().to_string();
        let mut c = TcpStream::connect(format!("127.0.0.1:{port}")).map_err(|e| format!("{line:?}: {e}"))?;
        c.set_read_timeout(Some(RUN_TIMEOUT)).map_err(|e| e.to_string())?;
        let mut buf = String::new();
        c.read_to_string(&mut buf).map_err(|e| e.to_string())?;
        Ok(buf)
    })();
    let status = finish(child, "remote_forward");
    let _ = server.join();
    status?;
    match got {
        Ok(b) if b.contains("hello-forward") => Ok(()),
        Ok(b) => Err(format!("forwarded connection carried {b:?}")),
        Err(e) => Err(e),
    }
}

/// Starts an ssh-agent holding the fixture's key and logs in through it.
fn agent_auth(r: &Runner, fx: &Fixture, work: &Path) -> Result<(), String> {
    let sock = work.join("agent.sock");
    let out = Command::new("ssh-agent").arg("-a").arg(&sock).arg("-s").output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let pid = text
        .split(';')
        .find_map(|p| p.trim().strip_prefix("SSH_AGENT_PID="))
        .and_then(|p| p.parse::<i32>().ok())
        .ok_or(format!("ssh-agent did not start: {text}"))?;
    let res = (|| {
        let add =
            Command::new("ssh-add").arg(&fx.key).env("SSH_AUTH_SOCK", &sock).output().map_err(|e| e.to_string())?;
        if !add.status.success() {
            return Err(format!("ssh-add failed: {}", String::from_utf8_lossy(&add.stderr)));
        }
        let args = vec![fx.host.clone(), fx.port.clone(), fx.user.clone(), "echo hello-agent".into()];
        let out = r.run("agent_auth", &args, "", &[("SSH_AUTH_SOCK", &s(&sock))]);
        expect_contains(out, "hello-agent").map(drop)
    })();
    // The agent is our own child's daemon: stop it by its pid.
    let _ = Command::new("kill").arg(pid.to_string()).status();
    res
}

/// Match, mismatch (exit 4, no login), unknown (exit 3), and --add.
fn known_hosts(r: &Runner, fx: &Fixture, with: &dyn Fn(&[&str]) -> Vec<String>, work: &Path) -> Result<(), String> {
    let good = work.join("known_hosts.good");
    std::fs::write(&good, fx.known_hosts_lines()).map_err(|e| e.to_string())?;
    expect_contains(r.run("known_hosts", &with(&[&s(&good)]), "", &[]), "host key verified")?;

    // Record other keys of every host key type (the user's keys) for this
    // host, so whichever type the server's key has, it mismatches.
    let mut lines = String::new();
    for k in ["id_ed25519", "id_ecdsa256", "id_rsa3072"] {
        let user_pub = std::fs::read_to_string(fx.dir.join(format!("{k}.pub"))).map_err(|e| e.to_string())?;
        let mut f = user_pub.split_whitespace();
        lines += &format!("[{}]:{} {} {}\n", fx.host, fx.port, f.next().unwrap_or(""), f.next().unwrap_or(""));
    }
    let bad = work.join("known_hosts.bad");
    std::fs::write(&bad, lines).map_err(|e| e.to_string())?;
    match r.run("known_hosts", &with(&[&s(&bad)]), "", &[]) {
        Err(e) if e.contains("exit status: 4") && e.contains("MISMATCH") => {}
        other => return Err(format!("a wrong key must be refused with status 4, got {other:?}")),
    }

    let fresh = work.join("known_hosts.fresh");
    match r.run("known_hosts", &with(&[&s(&fresh)]), "", &[]) {
        Err(e) if e.contains("exit status: 3") => {}
        other => return Err(format!("an unknown host must give status 3, got {other:?}")),
    }
    expect_contains(r.run("known_hosts", &with(&[&s(&fresh), "--add"]), "", &[]), "host key added")?;
    expect_contains(r.run("known_hosts", &with(&[&s(&fresh)]), "", &[]), "host key verified").map(drop)
}

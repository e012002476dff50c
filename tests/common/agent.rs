//! A private OpenSSH ssh-agent for the tests, killed on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long ssh-agent may take to make its socket, and ssh-add to reach it.
const AGENT_START: Duration = Duration::from_secs(10);

/// A running `ssh-agent -D` on its own socket, holding the keys it was given.
pub struct SshAgent {
    child: Child,
    /// The agent's socket (what SSH_AUTH_SOCK would name).
    pub sock: PathBuf,
    _dir: tempfile::TempDir,
}

impl SshAgent {
    /// Starts an agent and adds `keys` with ssh-add. Its standard streams are
    /// closed, so a test that fails leaves nothing holding the test runner's
    /// output open; the guard exists before anything can fail.
    pub fn start(keys: &[&Path]) -> SshAgent {
        let dir = tempfile::Builder::new().prefix("agent-test-").tempdir().unwrap();
        let sock = dir.path().join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ssh-agent");
        let agent = SshAgent { child, sock, _dir: dir };
        let deadline = Instant::now() + AGENT_START;
        for k in keys {
            // The socket may exist a moment before the agent listens on it: retry.
            loop {
                let out = Command::new("ssh-add")
                    .arg(k)
                    .env("SSH_AUTH_SOCK", &agent.sock)
                    .stdin(Stdio::null())
                    .output()
                    .unwrap();
                if out.status.success() {
                    break;
                }
                let why = String::from_utf8_lossy(&out.stderr);
                assert!(Instant::now() < deadline, "ssh-add {}: {why}", k.display());
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        agent
    }
}

impl Drop for SshAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

//! Real `neurocards` processes for the multi-process specifications: started with exactly
//! the given settings, awaited on their start-up line, stopped with SIGTERM or SIGKILL.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;

/// A running `neurocards` process; killed when dropped.
pub struct Process {
    child: tokio::process::Child,
    lines: mpsc::UnboundedReceiver<String>,
    log: PathBuf,
}

/// A free port on loopback (bound, read, released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Process {
    /// Starts `neurocards <args>` with only `vars` (and PATH) set; stderr goes to
    /// `<dir>/<name>.log`.
    pub fn start(dir: &Path, name: &str, args: &[&str], vars: &[(String, String)]) -> Process {
        let log = dir.join(format!("{name}.log"));
        let stderr = std::fs::File::create(&log).expect("log file");
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_neurocards"));
        command
            .args(args)
            .current_dir(dir)
            .env_clear()
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .kill_on_drop(true);
        if let Ok(path) = std::env::var("PATH") {
            command.env("PATH", path);
        }
        command.envs(vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut child = command.spawn().expect("start neurocards");
        let stdout = child.stdout.take().expect("stdout");
        let (send, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Process { child, lines, log }
    }

    /// Waits for a stdout line containing `needle` (the start-up summary, say).
    pub async fn wait_line(&mut self, needle: &str, timeout: Duration) -> String {
        let found = tokio::time::timeout(timeout, async {
            while let Some(line) = self.lines.recv().await {
                if line.contains(needle) {
                    return Some(line);
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(line)) => line,
            _ => panic!("no line with {needle:?}; log:\n{}", self.logs()),
        }
    }

    /// Kills the process at once (SIGKILL), as a crash or an OOM kill would.
    pub async fn kill9(&mut self) {
        self.child.kill().await.expect("SIGKILL");
    }

    /// Asks the process to stop (SIGTERM) and returns whether it exited successfully.
    pub async fn terminate(&mut self, timeout: Duration) -> bool {
        let pid = self.child.id().expect("running").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        assert!(sent.success());
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(Ok(status)) => status.success(),
            _ => panic!("no exit within {timeout:?}; log:\n{}", self.logs()),
        }
    }

    /// Everything the process logged so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

//! Interop with sipsak (a SIP stack nobody here wrote): the real `ferrosips` binary, started
//! as a process with a pid file, answers `sipsak -s sip:ping@HOST:PORT` over UDP and TCP, and
//! stops cleanly on SIGTERM.
#![allow(clippy::disallowed_methods)]

use std::net::{TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port free for both UDP and TCP on 127.0.0.1, below 10000: sipsak 0.9.8 cuts the port in
/// the Request-URI it writes to four digits.
fn free_port() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let seed = u64::from(std::process::id()) ^ u64::from(nanos);
    for i in 0..200u64 {
        let port = 5100 + ((seed.wrapping_mul(2654435761).wrapping_add(i * 7919)) % 4800) as u16;
        let (Ok(_u), Ok(_t)) = (
            UdpSocket::bind(("127.0.0.1", port)),
            TcpListener::bind(("127.0.0.1", port)),
        ) else {
            continue;
        };
        return port;
    }
    panic!("no free port below 10000");
}

fn require(tool: &str) {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "{tool} is not installed: apt-get install {tool} (.ci/run does this)"
    );
}

struct Proc {
    child: Child,
    dir: PathBuf,
}

impl Drop for Proc {
    fn drop(&mut self) {
        // Only our own child, by its PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start(port: u16) -> Proc {
    let dir = std::env::temp_dir().join(format!("ferrosips-sipsak-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("node.cfg");
    std::fs::write(
        &cfg,
        format!("listen=udp:127.0.0.1:{port}\nlisten=tcp:127.0.0.1:{port}\nlog_level=2\n"),
    )
    .unwrap();
    let pid = dir.join("node.pid");
    let child = Command::new(env!("CARGO_BIN_EXE_ferrosips"))
        .arg("run")
        .arg("--config")
        .arg(&cfg)
        .arg("--pid-file")
        .arg(&pid)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ferrosips");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pid.exists() {
        assert!(Instant::now() < deadline, "node did not write its pid file");
        std::thread::sleep(Duration::from_millis(20));
    }
    Proc { child, dir }
}

fn sipsak(args: &[&str]) -> (i32, String) {
    let out = Command::new("timeout")
        .arg("20")
        .arg("sipsak")
        .args(args)
        .output()
        .expect("run sipsak");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn sipsak_options_ping_over_udp_and_tcp() {
    require("sipsak");
    let port = free_port();
    let mut node = start(port);
    let uri = format!("sip:ping@127.0.0.1:{port}");
    let (code, out) = sipsak(&["-vv", "-s", &uri]);
    assert_eq!(code, 0, "sipsak over UDP failed:\n{out}");
    assert!(out.contains("200"), "{out}");
    let (code, out) = sipsak(&["-vv", "-E", "tcp", "-s", &uri]);
    assert_eq!(code, 0, "sipsak over TCP failed:\n{out}");

    // Graceful shutdown on SIGTERM: exit status 0, pid file removed.
    let pid = node.child.id().to_string();
    let st = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(st.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = node.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "node did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status}");
    assert!(!node.dir.join("node.pid").exists(), "pid file left behind");
}

#[test]
fn bad_config_refuses_to_start_with_position() {
    let dir = std::env::temp_dir().join(format!("ferrosips-badcfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("bad.cfg");
    std::fs::write(&cfg, "listen=udp:127.0.0.1:5060\n\nfoo_bar = 3\n").unwrap();
    for sub in ["run", "check"] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ferrosips"));
        if sub == "run" {
            cmd.args(["run", "--config"]);
        } else {
            cmd.arg("check");
        }
        let out = cmd.arg(&cfg).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("bad.cfg:3:1: unknown global parameter \"foo_bar\""),
            "{sub}: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

//! moto's AWS API server (PyPI `moto[server]`, which `.ci/run` installs), started on a free
//! loopback port per test and killed when dropped. Include it with
//! `#[path = "helpers/moto.rs"] mod moto;`. AWS credentials used against it are dummies.

#![allow(dead_code)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_moto() -> Moto {
    start_moto_with_env(&[])
}

/// moto's server with extra environment, for example `INITIAL_NO_AUTH_ACTION_COUNT`, after
/// which it checks every request's IAM permissions and answers `AccessDenied`.
pub fn start_moto_with_env(env: &[(&str, &str)]) -> Moto {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start moto_server ({e}): install it with `pip install 'moto[server]'` (bash .ci/run does)")
        });
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not listen on {endpoint}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Moto { child, endpoint }
}

//! A fault-injecting HTTP/1.1 proxy for S3 tests: it listens on `127.0.0.1:<random port>`,
//! forwards every request byte for byte to an upstream S3 server on loopback (the SigV4
//! signature still matches, as the `Host` header is kept), and, as a [`FaultRule`] says,
//! answers chosen requests itself:
//! - [`FaultKind::InternalError`]: `500` with an S3 `InternalError` XML body;
//! - [`FaultKind::SlowDown`]: `503` with an S3 `SlowDown` XML body;
//! - [`FaultKind::Reset`]: resets the connection (RST, no response);
//! - [`FaultKind::Stall`]: holds the connection without answering for the proxy's stall
//!   time (longer than the client's attempt timeout), then closes it.
//!
//! Each fault is applied [`When::Before`] the request reaches the server (nothing is written)
//! or [`When::After`] the server answered (the write landed, the client sees a failure).
//! `AbortMultipartUpload` is never faulted: a failed abort leaves an upload for the bucket's
//! lifecycle rule, which these tests do not model.
//!
//! A `CreateMultipartUpload` faulted [`When::After`] creates an upload whose id the client
//! never learns, so nobody can complete or abort it but the bucket's
//! `AbortIncompleteMultipartUpload` lifecycle rule; the proxy records such ids
//! ([`FaultProxy::orphaned_uploads`]) so tests can tell them from uploads the store left.
//!
//! Include it with `#[path = "helpers/fault_proxy.rs"] mod fault_proxy;` and start it inside
//! a tokio runtime with [`FaultProxy::start`]. Only loopback addresses are used; every read is
//! bounded by a size limit and every wait by a timeout.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The S3 operations the proxy tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    PutObject,
    CreateMultipartUpload,
    UploadPart,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    Other,
}

impl Op {
    /// Whether faults may hit this operation (the writes of a put, not the abort).
    pub fn faultable(self) -> bool {
        matches!(
            self,
            Op::PutObject
                | Op::CreateMultipartUpload
                | Op::UploadPart
                | Op::CompleteMultipartUpload
        )
    }
}

/// What the proxy does instead of relaying the server's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    InternalError,
    SlowDown,
    Reset,
    Stall,
}

/// Whether the request reaches the server before the fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum When {
    /// The server never sees the request.
    Before,
    /// The server handles the request (an object or part lands); its answer is replaced.
    After,
}

/// Faults `kind` onto the requests of `op` (any faultable operation when `None`) numbered
/// `from .. from + count` within the current attempt, counting from 0 and per operation
/// (over all faultable operations when `op` is `None`), retries included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    pub op: Option<Op>,
    pub from: usize,
    pub count: usize,
    pub kind: FaultKind,
    pub when: When,
}

impl FaultRule {
    fn covers(&self, op: Op, nth_of_op: usize, nth_any: usize) -> bool {
        let nth = match self.op {
            Some(o) if o == op => nth_of_op,
            Some(_) => return false,
            None => nth_any,
        };
        nth >= self.from && nth - self.from < self.count
    }
}

/// A fault the proxy applied: the operation, the fault and when.
pub type Hit = (Op, FaultKind, When);

#[derive(Debug, Default)]
struct Attempt {
    rules: Vec<FaultRule>,
    seen_by_op: BTreeMap<Op, usize>,
    seen_any: usize,
}

#[derive(Debug)]
struct State {
    upstream: SocketAddr,
    stall: Duration,
    attempt: Mutex<Attempt>,
    requests: Mutex<BTreeMap<Op, usize>>,
    hits: Mutex<BTreeMap<Hit, usize>>,
    forwarding: AtomicUsize,
    next_id: AtomicUsize,
    orphans: Mutex<Vec<String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl State {
    /// Counts the request and picks its fault, if any.
    fn decide(&self, op: Op) -> Option<FaultRule> {
        *lock(&self.requests).entry(op).or_default() += 1;
        if !op.faultable() {
            return None;
        }
        let mut attempt = lock(&self.attempt);
        let nth_of_op = *attempt.seen_by_op.get(&op).unwrap_or(&0);
        let nth_any = attempt.seen_any;
        *attempt.seen_by_op.entry(op).or_default() += 1;
        attempt.seen_any += 1;
        let rule = attempt
            .rules
            .iter()
            .find(|r| r.covers(op, nth_of_op, nth_any))
            .cloned()?;
        *lock(&self.hits)
            .entry((op, rule.kind, rule.when))
            .or_default() += 1;
        Some(rule)
    }
}

/// A running proxy; dropping it stops accepting connections.
pub struct FaultProxy {
    address: SocketAddr,
    state: Arc<State>,
    accept: JoinHandle<()>,
}

/// Largest request or response head accepted, and largest body (a part is at most a few MiB
/// in these tests).
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 64 * 1024 * 1024;

impl FaultProxy {
    /// Starts a proxy in front of `upstream` (`http://127.0.0.1:<port>`) whose stalls last
    /// `stall`. Must be called inside a tokio runtime.
    pub async fn start(upstream: &str, stall: Duration) -> FaultProxy {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("upstream is http://<ip>:<port>");
        assert!(
            upstream.ip().is_loopback(),
            "the proxy only talks to loopback"
        );
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("proxy address");
        let state = Arc::new(State {
            upstream,
            stall,
            attempt: Mutex::new(Attempt::default()),
            requests: Mutex::new(BTreeMap::new()),
            hits: Mutex::new(BTreeMap::new()),
            forwarding: AtomicUsize::new(0),
            next_id: AtomicUsize::new(0),
            orphans: Mutex::new(Vec::new()),
        });
        let accept_state = Arc::clone(&state);
        let accept = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    // Out of file descriptors or similar: do not spin.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let state = Arc::clone(&accept_state);
                connections.spawn(async move {
                    let _ = serve(socket, state).await;
                });
                while connections.try_join_next().is_some() {}
            }
        });
        FaultProxy {
            address,
            state,
            accept,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Starts a new attempt: requests are numbered from 0 again and `rules` apply.
    pub fn begin_attempt(&self, rules: Vec<FaultRule>) {
        *lock(&self.state.attempt) = Attempt {
            rules,
            ..Attempt::default()
        };
    }

    /// Requests received so far, by operation.
    pub fn requests(&self) -> BTreeMap<Op, usize> {
        lock(&self.state.requests).clone()
    }

    /// Faults applied so far.
    pub fn hits(&self) -> BTreeMap<Hit, usize> {
        lock(&self.state.hits).clone()
    }

    /// Ids of multipart uploads created by a `CreateMultipartUpload` whose response the
    /// proxy withheld: the client cannot know them.
    pub fn orphaned_uploads(&self) -> Vec<String> {
        lock(&self.state.orphans).clone()
    }

    /// Waits until no request is being forwarded to the server, so that every write the
    /// server will ever see from the last attempt has landed. Panics after `limit`.
    pub async fn wait_idle(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.state.forwarding.load(Ordering::SeqCst) > 0 {
            assert!(
                Instant::now() < deadline,
                "requests still being forwarded after {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// One HTTP message as received: its raw bytes (head and body, relayed unchanged), its
/// start line and its headers (lower-case names).
struct Message {
    raw: Vec<u8>,
    start_line: String,
    headers: Vec<(String, String)>,
    /// Whether the connection must close after this message (a response delimited by EOF,
    /// or `Connection: close`).
    closes: bool,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a message head; `None` on a clean end of stream before it.
async fn read_head<R: AsyncBufRead + Unpin>(
    reader: &mut R,
) -> std::io::Result<Option<(Vec<u8>, String, Vec<(String, String)>)>> {
    let mut raw = Vec::new();
    let mut lines = Vec::new();
    let mut stray = 0;
    loop {
        let mut line = Vec::new();
        let n = (&mut *reader)
            .take((MAX_HEAD - raw.len().min(MAX_HEAD)) as u64 + 1)
            .read_until(b'\n', &mut line)
            .await?;
        if n == 0 {
            if raw.is_empty() {
                return Ok(None);
            }
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "end of stream inside a message head",
            ));
        }
        raw.extend_from_slice(&line);
        if raw.len() > MAX_HEAD {
            return Err(std::io::Error::other("message head too large"));
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        if text.is_empty() {
            if lines.is_empty() && stray < 8 {
                // Stray empty line between messages.
                stray += 1;
                raw.clear();
                continue;
            }
            if lines.is_empty() {
                return Err(std::io::Error::other("empty lines instead of a message"));
            }
            break;
        }
        lines.push(text);
    }
    let start_line = lines.remove(0);
    let headers = lines
        .into_iter()
        .filter_map(|l| {
            l.split_once(':')
                .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect();
    Ok(Some((raw, start_line, headers)))
}

/// Reads a body delimited by `Content-Length` or chunked encoding into `raw`.
async fn read_body<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    headers: &[(String, String)],
    raw: &mut Vec<u8>,
    to_eof: bool,
) -> std::io::Result<()> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let too_large = || std::io::Error::other("message body too large");
    if header("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
        loop {
            let mut line = Vec::new();
            (&mut *reader)
                .take(1024)
                .read_until(b'\n', &mut line)
                .await?;
            raw.extend_from_slice(&line);
            let text = String::from_utf8_lossy(&line);
            let size_text = text.trim().split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size_text, 16)
                .map_err(|_| std::io::Error::other(format!("bad chunk size {text:?}")))?;
            if size == 0 {
                // Trailers, up to the empty line.
                loop {
                    let mut trailer = Vec::new();
                    (&mut *reader)
                        .take(MAX_HEAD as u64)
                        .read_until(b'\n', &mut trailer)
                        .await?;
                    raw.extend_from_slice(&trailer);
                    if trailer.is_empty() || trailer == b"\r\n" || trailer == b"\n" {
                        return Ok(());
                    }
                }
            }
            if raw.len() + size > MAX_BODY {
                return Err(too_large());
            }
            let start = raw.len();
            raw.resize(start + size + 2, 0);
            reader.read_exact(&mut raw[start..]).await?;
        }
    } else if let Some(length) = header("content-length") {
        let length: usize = length
            .parse()
            .map_err(|_| std::io::Error::other("bad content-length"))?;
        if length > MAX_BODY {
            return Err(too_large());
        }
        let start = raw.len();
        raw.resize(start + length, 0);
        reader.read_exact(&mut raw[start..]).await?;
        Ok(())
    } else if to_eof {
        (&mut *reader)
            .take(MAX_BODY as u64)
            .read_to_end(raw)
            .await?;
        Ok(())
    } else {
        Ok(())
    }
}

async fn read_request<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Option<Message>> {
    let Some((mut raw, start_line, headers)) = read_head(reader).await? else {
        return Ok(None);
    };
    read_body(reader, &headers, &mut raw, false).await?;
    let closes = headers
        .iter()
        .any(|(n, v)| n == "connection" && v.eq_ignore_ascii_case("close"));
    Ok(Some(Message {
        raw,
        start_line,
        headers,
        closes,
    }))
}

async fn read_response<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    request_method: &str,
) -> std::io::Result<Message> {
    loop {
        let Some((mut raw, start_line, headers)) = read_head(reader).await? else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "upstream closed before answering",
            ));
        };
        let status: u16 = start_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if (100..200).contains(&status) {
            // Interim response (e.g. 100 Continue): skip it.
            continue;
        }
        let no_body = request_method == "HEAD" || status == 204 || status == 304;
        let delimited = headers
            .iter()
            .any(|(n, _)| n == "content-length" || n == "transfer-encoding");
        let to_eof = !no_body && !delimited;
        if !no_body {
            read_body(reader, &headers, &mut raw, to_eof).await?;
        }
        let closes = to_eof
            || headers
                .iter()
                .any(|(n, v)| n == "connection" && v.eq_ignore_ascii_case("close"));
        return Ok(Message {
            raw,
            start_line,
            headers,
            closes,
        });
    }
}

/// The S3 operation of a path-style request.
fn classify(request: &Message) -> Op {
    let mut parts = request.start_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("");
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let has = |name: &str| query.split('&').any(|p| p.split('=').next() == Some(name));
    match method {
        "PUT" if has("uploadId") && has("partNumber") => Op::UploadPart,
        "PUT" if !has("uploadId") => Op::PutObject,
        "POST" if has("uploads") => Op::CreateMultipartUpload,
        "POST" if has("uploadId") => Op::CompleteMultipartUpload,
        "DELETE" if has("uploadId") => Op::AbortMultipartUpload,
        _ => Op::Other,
    }
}

/// The `<UploadId>` of a `CreateMultipartUpload` response.
fn upload_id(raw: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(raw);
    let start = text.find("<UploadId>")? + "<UploadId>".len();
    let end = start + text[start..].find("</UploadId>")?;
    Some(text[start..end].to_owned())
}

/// An S3 error response with its XML body.
fn error_response(kind: FaultKind, resource: &str, id: usize) -> Vec<u8> {
    let (status, reason, code, message) = match kind {
        FaultKind::SlowDown => (
            503,
            "Slow Down",
            "SlowDown",
            "Please reduce your request rate.",
        ),
        _ => (
            500,
            "Internal Server Error",
            "InternalError",
            "We encountered an internal error. Please try again.",
        ),
    };
    let request_id = format!("FAULT{id:012}");
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><Resource>{resource}</Resource><RequestId>{request_id}</RequestId></Error>"
    );
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nx-amz-request-id: {request_id}\r\nServer: fault-proxy\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Decrements the forwarding count when dropped.
struct Forwarding<'a>(&'a AtomicUsize);

impl Drop for Forwarding<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Relays one request over the connection's upstream connection, (re)opening it as needed.
async fn forward(
    state: &State,
    upstream: &mut Option<BufReader<TcpStream>>,
    request: &Message,
) -> std::io::Result<Message> {
    let method = request
        .start_line
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_owned();
    // A kept-alive upstream connection may have been closed by the server in between; a
    // request that failed to even be written is retried once on a new connection.
    for fresh in [false, true] {
        if upstream.is_none() || fresh {
            let stream =
                tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(state.upstream))
                    .await
                    .map_err(|_| std::io::Error::other("connecting upstream timed out"))??;
            *upstream = Some(BufReader::new(stream));
        }
        let connection = upstream.as_mut().expect("connected");
        if let Err(e) = connection.get_mut().write_all(&request.raw).await {
            *upstream = None;
            if fresh {
                return Err(e);
            }
            continue;
        }
        let response =
            tokio::time::timeout(Duration::from_secs(60), read_response(connection, &method))
                .await
                .map_err(|_| std::io::Error::other("upstream did not answer in 60 s"))?;
        match response {
            Ok(response) => {
                if response.closes {
                    *upstream = None;
                }
                return Ok(response);
            }
            Err(e) => {
                *upstream = None;
                return Err(e);
            }
        }
    }
    unreachable!("the loop returns on its second pass")
}

/// Resets the client connection: RST instead of FIN.
fn reset(client: BufReader<TcpStream>) {
    let stream = client.into_inner();
    let _ = stream.set_zero_linger();
    drop(stream);
}

/// Serves one client connection, request after request.
async fn serve(socket: TcpStream, state: Arc<State>) -> std::io::Result<()> {
    let mut client = BufReader::new(socket);
    let mut upstream: Option<BufReader<TcpStream>> = None;
    loop {
        let Some(request) = read_request(&mut client).await? else {
            return Ok(());
        };
        let op = classify(&request);
        let fault = state.decide(op);
        let id = state.next_id.fetch_add(1, Ordering::Relaxed);
        let resource = request
            .start_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .split('?')
            .next()
            .unwrap_or("/")
            .to_owned();
        let response = match &fault {
            Some(rule) if rule.when == When::Before => None,
            _ => {
                state.forwarding.fetch_add(1, Ordering::SeqCst);
                let _guard = Forwarding(&state.forwarding);
                match forward(&state, &mut upstream, &request).await {
                    Ok(response) => Some(response),
                    Err(_) => {
                        // The server is gone or broken: let the client see a reset.
                        reset(client);
                        return Ok(());
                    }
                }
            }
        };
        if let (Some(_), Some(response), Op::CreateMultipartUpload) = (&fault, &response, op)
            && let Some(id) = upload_id(&response.raw)
        {
            lock(&state.orphans).push(id);
        }
        match fault.map(|r| r.kind) {
            None => {
                let response = response.expect("forwarded");
                client.get_mut().write_all(&response.raw).await?;
                if response.closes || request.closes {
                    return Ok(());
                }
            }
            Some(kind @ (FaultKind::InternalError | FaultKind::SlowDown)) => {
                client
                    .get_mut()
                    .write_all(&error_response(kind, &resource, id))
                    .await?;
                if request.closes {
                    return Ok(());
                }
            }
            Some(FaultKind::Reset) => {
                reset(client);
                return Ok(());
            }
            Some(FaultKind::Stall) => {
                tokio::time::sleep(state.stall).await;
                return Ok(());
            }
        }
    }
}

//! A real S3 API server for tests: s3s-fs behind s3s's HTTP service, listening on
//! `127.0.0.1:<random port>` inside the test process, rooted in a temporary directory and
//! accepting only the dummy credentials [`ACCESS_KEY`] / [`SECRET_KEY`].
//!
//! Include it from any test file with
//! `#[path = "helpers/s3_server.rs"] mod s3_server;`, then
//! `let server = s3_server::S3Server::start().await; server.create_bucket("bucket");`
//! and talk to `server.endpoint()` with `server.client()` or `s3_server::client(endpoint)`.
//! The server stops when the `S3Server` is dropped.
//!
//! s3s-fs 0.14.1 lacks some S3 behaviour the store relies on; a thin layer in front of it
//! ([`Emulated`]) supplies it, and records every request so tests can check what went over
//! the wire:
//! - writing into a missing bucket fails with `NoSuchBucket` (s3s-fs would create the
//!   bucket directory);
//! - `ListMultipartUploads` lists uploads created and neither completed nor aborted;
//! - object tags sent with `PutObject` / `CreateMultipartUpload` (`x-amz-tagging`) are kept
//!   and served by `GetObjectTagging`;
//! - an unknown access key fails with `InvalidAccessKeyId`, as on AWS.
//!
//! Faults can be injected into `UploadPart` (an error response or a delay), and writes that
//! carry tags can be refused with `AccessDenied`, as a bucket policy denying
//! `s3:PutObjectTagging` refuses them on AWS.
//!
//! [`S3Server::start_with`] can also hold every response for a fixed time, a stand-in for the
//! round trip to S3 in a region (`benches/upload.rs` uses it).

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::{S3Auth, SecretKey};
use s3s::dto::*;
use s3s::service::{S3Service, S3ServiceBuilder};
use s3s::{S3, S3Error, S3ErrorCode, S3Request, S3Response, S3Result, s3_error};
use s3s_fs::FileSystem;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The access key the server accepts.
pub const ACCESS_KEY: &str = "AKIDTESTTESTTEST";
/// The secret key the server accepts.
pub const SECRET_KEY: &str = "test-secret-not-real";
/// The region test clients sign for.
pub const REGION: &str = "us-east-1";

/// A running server. Dropping it stops the server and removes its root directory.
pub struct S3Server {
    endpoint: String,
    state: Arc<State>,
    accept: JoinHandle<()>,
    // Removed after `Drop` has told the server's tasks to stop.
    root: TempDir,
}

impl S3Server {
    /// Starts a server on a fresh port of 127.0.0.1 with an empty root and no buckets.
    /// Must be called inside a tokio runtime; the server runs on it.
    pub async fn start() -> S3Server {
        S3Server::start_with(Options::default()).await
    }

    /// [`S3Server::start`] with [`Options`].
    pub async fn start_with(options: Options) -> S3Server {
        let root = match &options.root_parent {
            Some(parent) => tempfile::tempdir_in(parent),
            None => tempfile::tempdir(),
        }
        .expect("create the server's root directory");
        let state = Arc::new(State::default());
        let fs = FileSystem::new(root.path()).expect("open s3s-fs root");
        let emulated = Emulated {
            fs,
            root: root.path().canonicalize().expect("canonical root"),
            state: Arc::clone(&state),
        };
        let service = {
            let mut builder = S3ServiceBuilder::new(emulated);
            builder.set_auth(DummyAuth);
            Delayed {
                inner: builder.build(),
                latency: options.latency,
            }
        };
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("listener address");
        let accept = tokio::spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
            // Owning the connection tasks here means aborting this task ends them all.
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let connection = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                connections.spawn(async move {
                    let _ = connection.await;
                });
                while connections.try_join_next().is_some() {}
            }
        });
        S3Server {
            endpoint: format!("http://{address}"),
            state,
            accept,
            root,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The directory s3s-fs stores buckets (as directories) and objects (as files) in.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Creates a bucket (s3s-fs treats every directory of the root as a bucket).
    pub fn create_bucket(&self, name: &str) {
        std::fs::create_dir(self.root.path().join(name)).expect("create bucket directory");
    }

    /// A client for this server with the accepted dummy credentials.
    pub fn client(&self) -> Client {
        client(&self.endpoint)
    }

    /// Every request the S3 layer received so far (after authentication), in arrival order.
    pub fn requests(&self) -> Vec<SeenRequest> {
        lock(&self.state.requests).clone()
    }

    /// The received requests of one operation, e.g. `"UploadPart"`.
    pub fn requests_of(&self, operation: &str) -> Vec<SeenRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.operation == operation)
            .collect()
    }

    /// Makes every `UploadPart` of part `part_number` fail with `code` after storing the part.
    pub fn fail_upload_part(&self, part_number: i32, code: S3ErrorCode) {
        lock(&self.state.faults).push(Fault {
            part_number,
            action: FaultAction::Fail(code),
        });
    }

    /// Refuses every write that carries `x-amz-tagging` with `AccessDenied`.
    pub fn deny_tagging(&self) {
        self.state
            .deny_tagging
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Makes every `UploadPart` of part `part_number` wait `delay` before it is handled.
    pub fn delay_upload_part(&self, part_number: i32, delay: Duration) {
        lock(&self.state.faults).push(Fault {
            part_number,
            action: FaultAction::Delay(delay),
        });
    }

    /// Files s3s-fs keeps for multipart uploads in progress (upload records, stored parts,
    /// pending metadata). Empty once every upload is completed or aborted.
    pub fn leftover_upload_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.root.path())
            .expect("read server root")
            .filter_map(|entry| entry.ok())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(".upload") || name.contains(".upload-"))
            .collect();
        names.sort();
        names
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

/// How [`S3Server::start_with`] sets a server up; the default is [`S3Server::start`]'s.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Held before every response is sent, after the request was handled: a stand-in for the
    /// round trip to a remote S3. Zero by default.
    pub latency: Duration,
    /// Where the server's root directory is made; the system's temporary directory when
    /// `None`.
    pub root_parent: Option<PathBuf>,
}

/// s3s's HTTP service, each response held for `latency` ([`Options::latency`]).
#[derive(Clone)]
struct Delayed {
    inner: S3Service,
    latency: Duration,
}

type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<s3s::HttpResponse, s3s::HttpError>> + Send>>;

impl hyper::service::Service<hyper::Request<hyper::body::Incoming>> for Delayed {
    type Response = s3s::HttpResponse;
    type Error = s3s::HttpError;
    type Future = ResponseFuture;

    fn call(&self, request: hyper::Request<hyper::body::Incoming>) -> ResponseFuture {
        let response = hyper::service::Service::call(&self.inner, request);
        let latency = self.latency;
        Box::pin(async move {
            let response = response.await;
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            response
        })
    }
}

/// A config builder for a client of `endpoint`: path-style, [`REGION`], the given keys,
/// two attempts with a 10 ms backoff, and checksums only where required (as the store's
/// own `connect` sets them).
pub fn client_builder(
    endpoint: &str,
    access_key: &str,
    secret_key: &str,
) -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials_provider(Credentials::new(
            access_key,
            secret_key,
            None,
            None,
            "s3-test-server",
        ))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(10)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(Duration::from_secs(30))
                .build(),
        )
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
}

/// A client of `endpoint` with the accepted dummy credentials.
pub fn client(endpoint: &str) -> Client {
    Client::from_conf(client_builder(endpoint, ACCESS_KEY, SECRET_KEY).build())
}

/// One request as the S3 layer saw it.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    /// The S3 operation, e.g. `PutObject`.
    pub operation: &'static str,
    pub bucket: String,
    pub key: String,
    pub part_number: Option<i32>,
    /// The request path (path-style requests start with `/<bucket>/`).
    pub path: String,
    /// Headers with lower-case names.
    pub headers: Vec<(String, String)>,
}

impl SeenRequest {
    /// The value of a header (name in lower case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone)]
struct Upload {
    bucket: String,
    key: String,
    tagging: Option<String>,
}

#[derive(Debug, Clone)]
struct Fault {
    part_number: i32,
    action: FaultAction,
}

#[derive(Debug, Clone)]
enum FaultAction {
    Fail(S3ErrorCode),
    Delay(Duration),
}

/// (bucket, key).
type ObjectId = (String, String);
/// Tag keys and values, in the order sent.
type Tags = Vec<(String, String)>;

#[derive(Debug, Default)]
struct State {
    requests: Mutex<Vec<SeenRequest>>,
    /// Uploads in progress, by upload id.
    uploads: Mutex<BTreeMap<String, Upload>>,
    /// Object tags, by (bucket, key).
    tags: Mutex<HashMap<ObjectId, Tags>>,
    faults: Mutex<Vec<Fault>>,
    deny_tagging: std::sync::atomic::AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not hide the state from the others.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Accepts [`ACCESS_KEY`] only; other keys fail with `InvalidAccessKeyId` as on AWS (s3s's
/// `SimpleAuth` answers `NotSignedUp`).
struct DummyAuth;

#[async_trait::async_trait]
impl S3Auth for DummyAuth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        if access_key == ACCESS_KEY {
            Ok(SecretKey::from(SECRET_KEY))
        } else {
            Err(s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            ))
        }
    }
}

/// s3s-fs plus the behaviour it lacks (see the module documentation).
pub struct Emulated {
    fs: FileSystem,
    root: PathBuf,
    state: Arc<State>,
}

impl Emulated {
    fn check_tagging(&self, tagging: Option<&str>) -> S3Result<()> {
        if tagging.is_some()
            && self
                .state
                .deny_tagging
                .load(std::sync::atomic::Ordering::SeqCst)
        {
            return Err(s3_error!(AccessDenied, "Access Denied"));
        }
        Ok(())
    }

    fn record<T>(
        &self,
        operation: &'static str,
        req: &S3Request<T>,
        bucket: &str,
        key: &str,
        part_number: Option<i32>,
    ) {
        let headers = req
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        lock(&self.state.requests).push(SeenRequest {
            operation,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            part_number,
            path: req.uri.path().to_owned(),
            headers,
        });
    }

    fn require_bucket(&self, bucket: &str) -> S3Result<()> {
        let valid = !bucket.is_empty() && !bucket.contains(['/', '\\']) && bucket != "..";
        if valid && self.root.join(bucket).is_dir() {
            Ok(())
        } else {
            Err(s3_error!(
                NoSuchBucket,
                "The specified bucket does not exist"
            ))
        }
    }

    fn set_tags(&self, bucket: &str, key: &str, tagging: Option<&str>) {
        let id = (bucket.to_owned(), key.to_owned());
        let mut tags = lock(&self.state.tags);
        match tagging {
            Some(tagging) => {
                tags.insert(id, parse_query(tagging));
            }
            // A write without tags replaces the object and with it its tags.
            None => {
                tags.remove(&id);
            }
        }
    }
}

#[async_trait::async_trait]
impl S3 for Emulated {
    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.record("CreateBucket", &req, &req.input.bucket.clone(), "", None);
        self.fs.create_bucket(req).await
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.record("DeleteBucket", &req, &req.input.bucket.clone(), "", None);
        self.fs.delete_bucket(req).await
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.fs.head_bucket(req).await
    }

    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        self.fs.list_buckets(req).await
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.require_bucket(&req.input.bucket)?;
        self.fs.list_objects(req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.require_bucket(&req.input.bucket)?;
        self.fs.list_objects_v2(req).await
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        self.require_bucket(&req.input.bucket)?;
        self.fs.get_object(req).await
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        self.fs.head_object(req).await
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        self.record("DeleteObject", &req, &bucket, &key, None);
        let output = self.fs.delete_object(req).await?;
        self.set_tags(&bucket, &key, None);
        Ok(output)
    }

    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let tagging = req.input.tagging.clone();
        self.record("PutObject", &req, &bucket, &key, None);
        self.require_bucket(&bucket)?;
        self.check_tagging(tagging.as_deref())?;
        let output = self.fs.put_object(req).await?;
        self.set_tags(&bucket, &key, tagging.as_deref());
        Ok(output)
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let tagging = req.input.tagging.clone();
        self.record("CreateMultipartUpload", &req, &bucket, &key, None);
        self.require_bucket(&bucket)?;
        self.check_tagging(tagging.as_deref())?;
        let output = self.fs.create_multipart_upload(req).await?;
        if let Some(upload_id) = &output.output.upload_id {
            lock(&self.state.uploads).insert(
                upload_id.clone(),
                Upload {
                    bucket,
                    key,
                    tagging,
                },
            );
        }
        Ok(output)
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let part_number = req.input.part_number;
        self.record("UploadPart", &req, &bucket, &key, Some(part_number));
        let faults: Vec<FaultAction> = lock(&self.state.faults)
            .iter()
            .filter(|f| f.part_number == part_number)
            .map(|f| f.action.clone())
            .collect();
        for fault in &faults {
            if let FaultAction::Delay(delay) = fault {
                tokio::time::sleep(*delay).await;
            }
        }
        let output = self.fs.upload_part(req).await?;
        for fault in faults {
            if let FaultAction::Fail(code) = fault {
                return Err(S3Error::with_message(code, "injected fault"));
            }
        }
        Ok(output)
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        self.fs.list_parts(req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let upload_id = req.input.upload_id.clone();
        self.record("CompleteMultipartUpload", &req, &bucket, &key, None);
        self.require_bucket(&bucket)?;
        let output = self.fs.complete_multipart_upload(req).await?;
        let upload = lock(&self.state.uploads).remove(&upload_id);
        let tagging = upload.and_then(|u| u.tagging);
        self.set_tags(&bucket, &key, tagging.as_deref());
        Ok(output)
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        let (bucket, key) = (req.input.bucket.clone(), req.input.key.clone());
        let upload_id = req.input.upload_id.clone();
        self.record("AbortMultipartUpload", &req, &bucket, &key, None);
        let output = self.fs.abort_multipart_upload(req).await?;
        lock(&self.state.uploads).remove(&upload_id);
        Ok(output)
    }

    async fn list_multipart_uploads(
        &self,
        req: S3Request<ListMultipartUploadsInput>,
    ) -> S3Result<S3Response<ListMultipartUploadsOutput>> {
        let bucket = req.input.bucket;
        self.require_bucket(&bucket)?;
        let uploads = lock(&self.state.uploads)
            .iter()
            .filter(|(_, u)| u.bucket == bucket)
            .map(|(id, u)| MultipartUpload {
                key: Some(u.key.clone()),
                upload_id: Some(id.clone()),
                ..Default::default()
            })
            .collect();
        Ok(S3Response::new(ListMultipartUploadsOutput {
            bucket: Some(bucket),
            uploads: Some(uploads),
            is_truncated: Some(false),
            ..Default::default()
        }))
    }

    async fn get_object_tagging(
        &self,
        req: S3Request<GetObjectTaggingInput>,
    ) -> S3Result<S3Response<GetObjectTaggingOutput>> {
        let GetObjectTaggingInput { bucket, key, .. } = req.input;
        self.require_bucket(&bucket)?;
        if !self.root.join(&bucket).join(&key).is_file() {
            return Err(s3_error!(NoSuchKey, "The specified key does not exist."));
        }
        let tags = lock(&self.state.tags)
            .get(&(bucket, key))
            .cloned()
            .unwrap_or_default();
        let tag_set = tags
            .into_iter()
            .map(|(key, value)| Tag {
                key: Some(key),
                value: Some(value),
            })
            .collect();
        Ok(S3Response::new(GetObjectTaggingOutput {
            tag_set,
            version_id: None,
        }))
    }
}

/// Splits `k=v&k=v`, percent-decoding keys and values.
fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

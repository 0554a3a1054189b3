//! Amazon S3 (or an S3-compatible server) used as the object store.
//!
//! Objects are written with a plain `PutObject` below the part size and a multipart upload
//! from the part size up, with the content type, server-side encryption, canned ACL
//! and the Confluent offset tags sent in the same request that creates the object, and never
//! a Content-Encoding (see `Format::content_type`). Neither
//! path uses conditional writes: a later successful put of the same key replaces the object.

use std::error::Error as StdError;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use aws_config::BehaviorVersion;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::RequestId;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, ObjectCannedAcl, ServerSideEncryption,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures::StreamExt;
use md5::{Digest, Md5};
use tracing::{debug, warn};

use super::{ObjectPut, ObjectStore, StoreError};

/// Confluent's default `s3.part.size`: 25 MiB.
pub const DEFAULT_PART_SIZE: usize = 25 * 1024 * 1024;

/// The smallest part S3 accepts (except for the last part): 5 MiB.
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

/// S3 refuses part numbers above 10 000.
const MAX_PARTS: usize = 10_000;

/// Parts in flight at once for one multipart upload. Small, because the handler may already
/// write several objects concurrently and a Lambda has little bandwidth to share.
const PART_CONCURRENCY: usize = 4;

/// S3's limit on the UTF-8 length of a key.
const MAX_KEY_BYTES: usize = 1024;

/// Error codes S3 (and compatible servers) use for conditions that pass with time:
/// throttling, server faults, timeouts, and a conflicting operation still in progress.
const TRANSIENT_CODES: &[&str] = &[
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestTimeout",
    "RequestTimeoutException",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
    "OperationAborted",
];

/// Server-side encryption (`s3.ssea.name` / `s3.sse.kms.key.id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sse {
    /// `AES256`: S3-managed keys (SSE-S3).
    Aes256,
    /// `aws:kms` (SSE-KMS) or `aws:kms:dsse` (dual-layer, `dsse`); without a key id S3 uses
    /// the account's default `aws/s3` key.
    Kms { key_id: Option<String>, dsse: bool },
}

/// The role assumed through STS (`s3.credentials.provider.sts.*`, as Confluent's
/// `AwsAssumeRoleCredentialsProvider` names the keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    /// `sts.role.arn`.
    pub role_arn: String,
    /// `sts.role.session.name`.
    pub session_name: String,
    /// `sts.role.external.id`.
    pub external_id: Option<String>,
    /// `sts.region`; the function's region when absent.
    pub region: Option<String>,
}

/// Settings of the S3 store, parsed by the config module from Confluent keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    /// `s3.bucket.name`.
    pub bucket: String,
    /// `s3.region`; when absent the SDK's environment chain decides (`AWS_REGION` in Lambda).
    pub region: Option<String>,
    /// `store.url`; when absent `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` still apply.
    pub endpoint_url: Option<String>,
    /// `s3.path.style.access.enabled`.
    pub path_style: bool,
    /// `s3.wan.mode`: the Transfer Acceleration endpoint.
    pub accelerate: bool,
    /// `s3.part.size`: bodies of at least this many bytes go up as a multipart upload in
    /// parts of this size. Values below [`MIN_PART_SIZE`] are raised to it.
    pub part_size: usize,
    /// `s3.ssea.name` and `s3.sse.kms.key.id`.
    pub sse: Option<Sse>,
    /// `s3.acl.canned`, e.g. `bucket-owner-full-control`.
    pub acl: Option<String>,
    /// `s3.object.tagging`: tag each data object with `startOffset`, `endOffset` and
    /// `recordCount`, plus `extra_tags`.
    pub tagging: bool,
    /// `s3.object.tagging.key.value.pairs`: more tags for every tagged object, in order; a
    /// pair repeating a name (even `startOffset`) replaces it, as Confluent's tag map does.
    pub extra_tags: Vec<(String, String)>,
    /// `s3.object.behavior.on.tagging.error=fail`. With `ignore` (the default) an object whose
    /// tagged write is refused with `AccessDenied` is written again without tags, as Confluent
    /// keeps an object whose separate tagging call fails.
    pub fail_on_tagging_error: bool,
    /// `s3.sse.customer.key` (base64 of a 256-bit key) with `s3.ssea.name=AES256`: SSE-C.
    pub sse_customer_key: Option<String>,
    /// `s3.send.digest`: send each body's `Content-MD5`, so S3 rejects a corrupted upload.
    pub send_digest: bool,
    /// `s3.credentials.provider.class=AwsAssumeRoleCredentialsProvider`: the role the
    /// function's own credentials assume to write (cross-account buckets).
    pub assume_role: Option<AssumeRole>,
    /// `s3.retry.backoff.ms`: the SDK's initial retry backoff.
    pub retry_backoff_ms: u64,
    /// `s3.part.retries`: retries per request, so the SDK makes up to `part_retries + 1`
    /// attempts.
    pub part_retries: u32,
}

impl S3Settings {
    /// Settings for `bucket` with Confluent's defaults for everything else.
    pub fn new(bucket: impl Into<String>) -> S3Settings {
        S3Settings {
            bucket: bucket.into(),
            region: None,
            endpoint_url: None,
            path_style: false,
            accelerate: false,
            part_size: DEFAULT_PART_SIZE,
            sse: None,
            acl: None,
            tagging: false,
            extra_tags: Vec::new(),
            fail_on_tagging_error: false,
            sse_customer_key: None,
            send_digest: false,
            assume_role: None,
            retry_backoff_ms: 200,
            part_retries: 3,
        }
    }

    /// The part size actually used: at least [`MIN_PART_SIZE`].
    fn effective_part_size(&self) -> usize {
        self.part_size.max(MIN_PART_SIZE)
    }
}

/// Writes objects to one S3 bucket. A put either replaces the whole object under its key or
/// leaves the key as it was; a failed or cancelled multipart upload is aborted.
#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    settings: S3Settings,
}

impl S3Store {
    /// Builds the SDK client once (cold start) from the environment's credential and region
    /// chain, overridden by the settings: region, endpoint and path-style addressing, standard
    /// retries (`part_retries + 1` attempts starting at `retry_backoff_ms`), a 3 s connect
    /// timeout and a per-attempt timeout sized for one part. Checksums are only computed or
    /// validated where S3 requires them, which keeps S3-compatible servers that do not
    /// understand the newer default (CRC trailers) working.
    pub async fn connect(settings: S3Settings) -> S3Store {
        let retry = RetryConfig::standard()
            .with_max_attempts(settings.part_retries.saturating_add(1))
            .with_initial_backoff(Duration::from_millis(settings.retry_backoff_ms));
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(3))
            .operation_attempt_timeout(attempt_timeout(settings.effective_part_size()))
            .build();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(retry)
            .timeout_config(timeouts)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(region) = &settings.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &settings.endpoint_url {
            loader = loader.endpoint_url(url.clone());
        }
        let shared = loader.load().await;
        let mut builder = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(settings.path_style)
            .accelerate(settings.accelerate);
        if let Some(role) = &settings.assume_role {
            builder = builder.credentials_provider(assume_role_provider(&shared, role).await);
        }
        let config = builder.build();
        S3Store::with_client(Client::from_conf(config), settings)
    }

    /// A store around an existing client, for tests and custom setups. Region, endpoint,
    /// addressing style, retries, timeouts and checksums come from the client; of the
    /// settings only the bucket, part size, encryption, ACL and tagging are used.
    pub fn with_client(client: Client, settings: S3Settings) -> S3Store {
        S3Store { client, settings }
    }

    /// The settings the store was built with.
    pub fn settings(&self) -> &S3Settings {
        &self.settings
    }

    fn sse(&self) -> Option<ServerSideEncryption> {
        self.settings.sse.as_ref().map(|sse| match sse {
            Sse::Aes256 => ServerSideEncryption::Aes256,
            Sse::Kms { dsse: false, .. } => ServerSideEncryption::AwsKms,
            Sse::Kms { dsse: true, .. } => ServerSideEncryption::AwsKmsDsse,
        })
    }

    fn kms_key_id(&self) -> Option<String> {
        match &self.settings.sse {
            Some(Sse::Kms { key_id, .. }) => key_id.clone(),
            _ => None,
        }
    }

    fn acl(&self) -> Option<ObjectCannedAcl> {
        self.settings.acl.as_deref().map(ObjectCannedAcl::from)
    }

    /// The `x-amz-tagging` value: the tags Confluent puts on a data object (offsets, count,
    /// then `s3.object.tagging.key.value.pairs`), sent with the write itself so no object ever
    /// exists without them. Sidecars and error objects are not tagged, as in Confluent.
    fn tagging(&self, object: &ObjectPut) -> Option<String> {
        if !(self.settings.tagging && object.tagged) {
            return None;
        }
        let mut tags: Vec<(&str, String)> = vec![
            ("startOffset", object.start_offset.to_string()),
            ("endOffset", object.end_offset.to_string()),
            ("recordCount", object.record_count.to_string()),
        ];
        for (name, value) in &self.settings.extra_tags {
            match tags.iter_mut().find(|(n, _)| n == name) {
                Some(tag) => tag.1 = value.clone(),
                None => tags.push((name, value.clone())),
            }
        }
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &tags {
            query.append_pair(name, value);
        }
        Some(query.finish())
    }

    /// SSE-C: the customer key and its MD5, both base64, as S3 wants them.
    fn sse_customer(&self) -> (Option<String>, Option<String>, Option<String>) {
        match &self.settings.sse_customer_key {
            Some(key) => {
                let raw = STANDARD.decode(key).unwrap_or_default();
                (
                    Some("AES256".to_owned()),
                    Some(key.clone()),
                    Some(STANDARD.encode(Md5::digest(&raw))),
                )
            }
            None => (None, None, None),
        }
    }

    /// `Content-MD5` of a body when `s3.send.digest` is on.
    fn digest(&self, body: &[u8]) -> Option<String> {
        self.settings
            .send_digest
            .then(|| STANDARD.encode(Md5::digest(body)))
    }

    fn remote_error<E>(
        &self,
        key: &str,
        operation: &str,
        err: SdkError<E, HttpResponse>,
    ) -> StoreError
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let (description, retryable) = describe_sdk_error(&err);
        StoreError::Remote {
            bucket: self.settings.bucket.clone(),
            key: key.to_owned(),
            message: format!("{operation} failed: {description}"),
            retryable,
        }
    }

    async fn put_single(
        &self,
        object: &ObjectPut,
        tagging: Option<String>,
    ) -> Result<(), StoreError> {
        let length = i64::try_from(object.body.len()).unwrap_or(i64::MAX);
        let (sse_c_algorithm, sse_c_key, sse_c_md5) = self.sse_customer();
        self.client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(&object.key)
            .body(ByteStream::from(object.body.clone()))
            .content_length(length)
            .content_type(object.content_type)
            .set_server_side_encryption(self.sse())
            .set_ssekms_key_id(self.kms_key_id())
            .set_acl(self.acl())
            .set_tagging(tagging)
            .set_sse_customer_algorithm(sse_c_algorithm)
            .set_sse_customer_key(sse_c_key)
            .set_sse_customer_key_md5(sse_c_md5)
            .set_content_md5(self.digest(&object.body))
            .send()
            .await
            .map_err(|e| self.remote_error(&object.key, "PutObject", e))?;
        Ok(())
    }

    async fn put_multipart(
        &self,
        object: &ObjectPut,
        part_size: usize,
        tagging: Option<String>,
    ) -> Result<(), StoreError> {
        let (sse_c_algorithm, sse_c_key, sse_c_md5) = self.sse_customer();
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.settings.bucket)
            .key(&object.key)
            .content_type(object.content_type)
            .set_server_side_encryption(self.sse())
            .set_ssekms_key_id(self.kms_key_id())
            .set_acl(self.acl())
            .set_tagging(tagging)
            .set_sse_customer_algorithm(sse_c_algorithm)
            .set_sse_customer_key(sse_c_key)
            .set_sse_customer_key_md5(sse_c_md5)
            .send()
            .await
            .map_err(|e| self.remote_error(&object.key, "CreateMultipartUpload", e))?;
        let Some(upload_id) = created.upload_id else {
            return Err(StoreError::Remote {
                bucket: self.settings.bucket.clone(),
                key: object.key.clone(),
                message: "CreateMultipartUpload failed: the response carried no upload id".into(),
                retryable: false,
            });
        };

        // Armed until the upload is completed or aborted here, so that a put whose future is
        // dropped (e.g. by the invocation's deadline) still aborts the upload.
        let mut guard = AbortGuard {
            pending: Some(PendingUpload {
                client: self.client.clone(),
                bucket: self.settings.bucket.clone(),
                key: object.key.clone(),
                upload_id: upload_id.clone(),
            }),
        };
        let result = self
            .upload_parts_and_complete(object, &upload_id, part_size)
            .await;
        if result.is_err()
            && let Some(pending) = &guard.pending
        {
            pending.abort().await;
        }
        // Disarmed only now, so that a put dropped during the abort still aborts.
        guard.pending = None;
        result
    }

    async fn upload_parts_and_complete(
        &self,
        object: &ObjectPut,
        upload_id: &str,
        part_size: usize,
    ) -> Result<(), StoreError> {
        let body = &object.body;
        // Set by the first failed part: later parts are not started, but parts already in
        // flight are let finish, so the abort that follows is not raced by a part landing
        // after it (S3 may keep such a part and bill it).
        let failed = AtomicBool::new(false);
        let failed = &failed;
        let uploads = (0..body.len().div_ceil(part_size)).map(|index| {
            let start = index * part_size;
            let end = (start + part_size).min(body.len());
            // Part numbers start at 1 and stay below MAX_PARTS + 1, so they fit an i32.
            let number = i32::try_from(index + 1).unwrap_or(i32::MAX);
            let chunk = body.slice(start..end);
            async move {
                if failed.load(Ordering::Relaxed) {
                    return None;
                }
                let result = self
                    .upload_part(&object.key, upload_id, number, chunk)
                    .await;
                if result.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                Some(result)
            }
        });
        // `buffered` yields the parts in order, as CompleteMultipartUpload needs them.
        let results: Vec<Option<Result<CompletedPart, StoreError>>> =
            futures::stream::iter(uploads)
                .buffered(PART_CONCURRENCY)
                .collect()
                .await;
        let mut parts = Vec::with_capacity(results.len());
        let mut first_error = None;
        for result in results.into_iter().flatten() {
            match result {
                Ok(part) => parts.push(part),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        debug!(key = %object.key, parts = parts.len(), "completing multipart upload");
        self.client
            .complete_multipart_upload()
            .bucket(&self.settings.bucket)
            .key(&object.key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| self.remote_error(&object.key, "CompleteMultipartUpload", e))?;
        Ok(())
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: i32,
        chunk: Bytes,
    ) -> Result<CompletedPart, StoreError> {
        let length = i64::try_from(chunk.len()).unwrap_or(i64::MAX);
        // SSE-C parts must carry the key again; S3 checks it against the upload's.
        let (sse_c_algorithm, sse_c_key, sse_c_md5) = self.sse_customer();
        let output = self
            .client
            .upload_part()
            .bucket(&self.settings.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .content_length(length)
            .set_sse_customer_algorithm(sse_c_algorithm)
            .set_sse_customer_key(sse_c_key)
            .set_sse_customer_key_md5(sse_c_md5)
            .set_content_md5(self.digest(&chunk))
            .body(ByteStream::from(chunk))
            .send()
            .await
            .map_err(|e| self.remote_error(key, &format!("UploadPart {number}"), e))?;
        let Some(e_tag) = output.e_tag else {
            return Err(StoreError::Remote {
                bucket: self.settings.bucket.clone(),
                key: key.to_owned(),
                message: format!("UploadPart {number} failed: the response carried no ETag"),
                retryable: true,
            });
        };
        Ok(CompletedPart::builder()
            .part_number(number)
            .e_tag(e_tag)
            .build())
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    /// Writes the object with `PutObject` when it is smaller than the part size, else with a
    /// multipart upload that is aborted on any failure.
    async fn put(&self, object: ObjectPut) -> Result<(), StoreError> {
        check_key(&object.key)?;
        // Grow parts only when the body would need more than S3's 10 000 parts.
        let part_size = self
            .settings
            .effective_part_size()
            .max(object.body.len().div_ceil(MAX_PARTS));
        debug!(
            bucket = %self.settings.bucket,
            key = %object.key,
            bytes = object.body.len(),
            multipart = object.body.len() >= part_size,
            "putting object"
        );
        let tagging = self.tagging(&object);
        let tagged = tagging.is_some();
        let result = self.write(&object, part_size, tagging).await;
        match result {
            Err(StoreError::Remote { ref message, .. })
                if tagged
                    && !self.settings.fail_on_tagging_error
                    && message.contains("AccessDenied") =>
            {
                // Confluent tags in a separate call and, with the default `ignore`, keeps the
                // object when tagging is refused; here the tags travel with the write, so
                // the write is made again without them.
                warn!(
                    key = %object.key,
                    "tagged write refused (AccessDenied); writing without tags as s3.object.behavior.on.tagging.error=ignore"
                );
                self.write(&object, part_size, None).await
            }
            other => other,
        }
    }

    fn describe(&self) -> String {
        format!("s3://{}", self.settings.bucket)
    }
}

impl S3Store {
    async fn write(
        &self,
        object: &ObjectPut,
        part_size: usize,
        tagging: Option<String>,
    ) -> Result<(), StoreError> {
        if object.body.len() < part_size {
            self.put_single(object, tagging).await
        } else {
            self.put_multipart(object, part_size, tagging).await
        }
    }
}

/// The SDK's own assume-role provider for `role`: it calls `sts:AssumeRole` with the
/// credentials of `base` (the function's role) and refreshes the session before it expires.
pub async fn assume_role_provider(
    base: &aws_config::SdkConfig,
    role: &AssumeRole,
) -> aws_config::sts::AssumeRoleProvider {
    let mut provider = aws_config::sts::AssumeRoleProvider::builder(&role.role_arn)
        .session_name(&role.session_name)
        .configure(base);
    if let Some(id) = &role.external_id {
        provider = provider.external_id(id);
    }
    if let Some(region) = &role.region {
        provider = provider.region(Region::new(region.clone()));
    }
    provider.build().await
}

/// A multipart upload that has been created but neither completed nor aborted.
struct PendingUpload {
    client: Client,
    bucket: String,
    key: String,
    upload_id: String,
}

impl PendingUpload {
    /// Aborts the upload. A failure is only logged: the put has already failed, and the
    /// bucket's `AbortIncompleteMultipartUpload` lifecycle rule is the backstop.
    async fn abort(&self) {
        let result = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .send()
            .await;
        match result {
            Ok(_) => debug!(
                bucket = %self.bucket,
                key = %self.key,
                upload_id = %self.upload_id,
                "aborted multipart upload"
            ),
            Err(e) => {
                let (error, _) = describe_sdk_error(&e);
                warn!(
                    bucket = %self.bucket,
                    key = %self.key,
                    upload_id = %self.upload_id,
                    %error,
                    "could not abort multipart upload"
                );
            }
        }
    }
}

/// Aborts, in a background task, an upload whose put future was dropped before it finished.
struct AbortGuard {
    pending: Option<PendingUpload>,
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        let Some(pending) = self.pending.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move { pending.abort().await });
            }
            Err(_) => warn!(
                bucket = %pending.bucket,
                key = %pending.key,
                upload_id = %pending.upload_id,
                "multipart upload cancelled outside a runtime; it is left for the lifecycle rule"
            ),
        }
    }
}

fn check_key(key: &str) -> Result<(), StoreError> {
    let invalid = |reason| {
        Err(StoreError::InvalidKey {
            key: key.to_owned(),
            reason,
        })
    };
    if key.is_empty() {
        return invalid("empty key");
    }
    if key.len() > MAX_KEY_BYTES {
        return invalid("longer than S3's 1024-byte limit");
    }
    Ok(())
}

/// A generous bound on one request: connect plus one part at 0.5 MiB/s, so a slow link
/// still completes a 25 MiB part while a dead connection is given up in reasonable time.
fn attempt_timeout(part_size: usize) -> Duration {
    let mib = u64::try_from(part_size / (1024 * 1024)).unwrap_or(u64::MAX);
    Duration::from_secs(30u64.saturating_add(mib.saturating_mul(2)))
}

/// A one-line description of an SDK error and whether trying again may succeed.
fn describe_sdk_error<E>(err: &SdkError<E, HttpResponse>) -> (String, bool)
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    match err {
        SdkError::ServiceError(context) => {
            let status = context.raw().status().as_u16();
            let code = err.code();
            let retryable = status >= 500
                || status == 429
                || code.is_some_and(|code| TRANSIENT_CODES.contains(&code));
            let mut text = match (code, err.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_owned(),
                (None, Some(message)) => message.to_owned(),
                (None, None) => "error response without a code".to_owned(),
            };
            text.push_str(&format!(" (HTTP {status}"));
            if let Some(request_id) = err.request_id() {
                text.push_str(&format!(", request id {request_id}"));
            }
            text.push(')');
            (text, retryable)
        }
        SdkError::TimeoutError(_) => (format!("timed out: {}", source_chain(err)), true),
        SdkError::DispatchFailure(failure) => {
            let what = if failure.is_timeout() {
                "timed out connecting or sending"
            } else if failure.is_io() {
                "connection error"
            } else if failure.is_user() {
                "request could not be sent"
            } else {
                "dispatch failure"
            };
            // A user error (e.g. an invalid endpoint) does not heal by itself.
            (format!("{what}: {}", source_chain(err)), !failure.is_user())
        }
        SdkError::ResponseError(context) => {
            let status = context.raw().status().as_u16();
            // An unreadable response is usually a connection cut mid-body.
            (
                format!("unreadable response (HTTP {status}): {}", source_chain(err)),
                true,
            )
        }
        SdkError::ConstructionFailure(_) => (
            format!("request could not be built: {}", source_chain(err)),
            false,
        ),
        // An SDK error kind newer than this code: retrying is harmless, as puts overwrite.
        _ => (format!("SDK error: {}", source_chain(err)), true),
    }
}

/// The messages of an error's causes, outermost first, joined by `: `, without repeats.
/// The error's own message ("dispatch failure") and the connector's bare kind ("io error")
/// say little, so they are left out when a more specific cause follows.
fn source_chain(err: &(dyn StdError + 'static)) -> String {
    let mut messages: Vec<String> = Vec::new();
    let mut current = err.source();
    while let Some(cause) = current {
        let message = cause.to_string();
        if !messages.contains(&message) {
            messages.push(message);
        }
        current = cause.source();
    }
    if messages.is_empty() {
        return err.to_string();
    }
    // Drop the connector's bare kind ("io error", "timeout", "other") when more follows.
    if messages.len() > 1
        && matches!(
            messages[0].as_str(),
            "io error" | "timeout" | "other" | "user error"
        )
    {
        messages.remove(0);
    }
    messages.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_size_is_raised_to_the_s3_minimum() {
        let mut settings = S3Settings::new("bucket");
        settings.part_size = 1024;
        assert_eq!(settings.effective_part_size(), MIN_PART_SIZE);
        settings.part_size = DEFAULT_PART_SIZE;
        assert_eq!(settings.effective_part_size(), DEFAULT_PART_SIZE);
    }

    #[test]
    fn attempt_timeout_allows_a_slow_default_part() {
        assert!(attempt_timeout(DEFAULT_PART_SIZE) >= Duration::from_secs(60));
    }

    #[test]
    fn keys_s3_refuses_are_rejected_before_sending() {
        assert!(matches!(check_key(""), Err(StoreError::InvalidKey { .. })));
        assert!(matches!(
            check_key(&"k".repeat(MAX_KEY_BYTES + 1)),
            Err(StoreError::InvalidKey { .. })
        ));
        assert!(check_key("topics/t/partition=0/t+0+0000000000.json").is_ok());
    }
}

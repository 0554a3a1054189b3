//! The Schema Registry REST client: the documented Confluent endpoints the deserializers use,
//! with fail-over between URLs, credentials that never reach a log, and a cache that fetches
//! each schema and each subject version at most once per container.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::{
    Decoder, ReferencedSchema, RegistryAuth, RegistrySettings, ResolvedSchema, SchemaType,
};

/// How long one registry request may take (connection included).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The media types Confluent's client accepts, in its order of preference.
const ACCEPT: &str = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";
const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// Why a schema could not be had.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    /// The registry answered that it does not have it, or the schema it has cannot be used: a
    /// failure of the records that name it.
    #[error("{0}")]
    NotFound(String),
    /// The registry could not be reached or answered an error: retryable.
    #[error("schema registry: {0}")]
    Unavailable(String),
}

/// A schema as the registry returns it.
#[derive(Debug, Clone, Deserialize)]
struct SchemaResponse {
    schema: String,
    #[serde(rename = "schemaType")]
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
struct Reference {
    name: String,
    subject: String,
    version: i64,
}

#[derive(Debug, Deserialize)]
struct VersionResponse {
    version: i64,
}

/// A fetched schema with the texts of everything it references, dependencies first.
#[derive(Debug)]
struct Fetched {
    response: SchemaResponse,
    parsed: Result<Decoder, String>,
}

type Cell<T> = Arc<OnceCell<T>>;
/// Once-per-container caches, by key.
type Cache<K, T> = Mutex<HashMap<K, Cell<Arc<T>>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A client of one registry (one `schema.registry.url` list and its credentials).
#[derive(Debug)]
pub struct RegistryClient {
    settings: RegistrySettings,
    http: reqwest::Client,
    /// The URL that answered last; requests start there.
    current: AtomicUsize,
    by_id: Cache<u32, Fetched>,
    by_subject_id: Cache<(String, u32), ResolvedSchema>,
    unversioned: Cache<u32, ResolvedSchema>,
    references: Cache<(String, i64), SchemaResponse>,
}

/// A URL as it may be shown: without credentials in it.
fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string().trim_end_matches('/').to_owned()
        }
        Err(_) => "<unparsable URL>".to_owned(),
    }
}

fn encode_path_segment(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

impl RegistryClient {
    pub fn new(settings: RegistrySettings) -> RegistryClient {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .unwrap_or_default();
        RegistryClient {
            settings,
            http,
            current: AtomicUsize::new(0),
            by_id: Mutex::new(HashMap::new()),
            by_subject_id: Mutex::new(HashMap::new()),
            unversioned: Mutex::new(HashMap::new()),
            references: Mutex::new(HashMap::new()),
        }
    }

    pub fn settings(&self) -> &RegistrySettings {
        &self.settings
    }

    /// Sends a request to each URL in turn, from the one that answered last, until one
    /// answers; returns its status and body.
    async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(reqwest::StatusCode, String, String), FetchError> {
        let urls = &self.settings.urls;
        if urls.is_empty() {
            return Err(FetchError::Unavailable(
                "no schema.registry.url is configured".to_owned(),
            ));
        }
        let start = self.current.load(Ordering::Relaxed) % urls.len();
        let mut failures = Vec::new();
        for i in 0..urls.len() {
            let index = (start + i) % urls.len();
            let base = urls[index].trim_end_matches('/');
            let mut req = self
                .http
                .request(method.clone(), format!("{base}{path}"))
                .header(reqwest::header::ACCEPT, ACCEPT);
            req = match &self.settings.auth {
                RegistryAuth::None => req,
                RegistryAuth::Basic(user_info) => {
                    let (user, password) = user_info.split_once(':').unwrap_or((user_info, ""));
                    req.basic_auth(user, Some(password))
                }
                RegistryAuth::Bearer(token) => req.bearer_auth(token),
            };
            if let Some(body) = body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
                    .body(body.to_string());
            }
            match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    match resp.text().await {
                        Ok(text) => {
                            self.current.store(index, Ordering::Relaxed);
                            return Ok((status, text, shown(base)));
                        }
                        Err(e) => failures.push(format!("{}: {}", shown(base), describe(&e))),
                    }
                }
                Err(e) => failures.push(format!("{}: {}", shown(base), describe(&e))),
            }
        }
        Err(FetchError::Unavailable(format!(
            "{} {path}: no registry URL answered ({})",
            method,
            failures.join("; ")
        )))
    }

    /// GETs `path` and parses the JSON answer; `not_found` names the thing for a 404.
    async fn get_json<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        not_found: impl FnOnce(&str) -> String,
    ) -> Result<T, FetchError> {
        let (status, body, url) = self.request(reqwest::Method::GET, path, None).await?;
        answer(status, &body, &url, path, not_found)
    }

    /// The schema with this id, its references and its parsed form; fetched once. Protobuf
    /// schemas (and their references) are fetched again as serialized descriptors
    /// (`?format=serialized`), so no `.proto` text needs compiling here.
    async fn fetched(&self, id: u32) -> Result<Arc<Fetched>, FetchError> {
        let cell = lock(&self.by_id).entry(id).or_default().clone();
        cell.get_or_try_init(|| async {
            let not_found =
                |url: &str| format!("schema id {id} is not in the schema registry at {url}");
            let response: SchemaResponse = self
                .get_json(&format!("/schemas/ids/{id}"), not_found)
                .await?;
            let ty = SchemaType::from_registry_name(response.schema_type.as_deref());
            let serialized = ty == Some(SchemaType::Protobuf);
            let text = if serialized {
                self.get_json::<SchemaResponse>(
                    &format!("/schemas/ids/{id}?format=serialized"),
                    not_found,
                )
                .await?
                .schema
            } else {
                response.schema.clone()
            };
            let mut references = Vec::new();
            let mut seen = Vec::new();
            self.collect_references(
                &response.references,
                serialized,
                &mut references,
                &mut seen,
                0,
            )
            .await?;
            let parsed = match ty {
                Some(ty) => Decoder::parse(ty, &text, &references, &self.settings)
                    .map_err(|e| format!("schema id {id} cannot be used: {e}")),
                None => Err(format!(
                    "schema id {id} has schemaType {:?}, which no converter reads",
                    response.schema_type.as_deref().unwrap_or_default()
                )),
            };
            Ok(Arc::new(Fetched { response, parsed }))
        })
        .await
        .cloned()
    }

    /// The referenced schemas, dependencies before the schemas that use them.
    fn collect_references<'a>(
        &'a self,
        refs: &'a [Reference],
        serialized: bool,
        out: &'a mut Vec<ReferencedSchema>,
        seen: &'a mut Vec<(String, i64)>,
        depth: usize,
    ) -> futures::future::BoxFuture<'a, Result<(), FetchError>> {
        Box::pin(async move {
            if depth > 32 {
                return Err(FetchError::NotFound(
                    "schema references nest deeper than 32 levels".to_owned(),
                ));
            }
            for r in refs {
                let key = (r.subject.clone(), r.version);
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key.clone());
                let cell = lock(&self.references).entry(key).or_default().clone();
                let resp = cell
                    .get_or_try_init(|| async {
                        let path = format!(
                            "/subjects/{}/versions/{}{}",
                            encode_path_segment(&r.subject),
                            r.version,
                            if serialized { "?format=serialized" } else { "" }
                        );
                        self.get_json::<SchemaResponse>(&path, |url| {
                            format!(
                                "referenced schema {} (subject {:?} version {}) is not in the schema registry at {url}",
                                r.name, r.subject, r.version
                            )
                        })
                        .await
                        .map(Arc::new)
                    })
                    .await?
                    .clone();
                self.collect_references(&resp.references, serialized, out, seen, depth + 1)
                    .await?;
                out.push(ReferencedSchema {
                    name: r.name.clone(),
                    schema: resp.schema.clone(),
                });
            }
            Ok(())
        })
    }

    /// The subject version of a schema, as Confluent's deserializer looks it up
    /// (`POST /subjects/{subject}?deleted=true`).
    async fn version(&self, subject: &str, fetched: &Fetched, id: u32) -> Result<i64, FetchError> {
        let mut body = json!({ "schema": fetched.response.schema });
        if let Some(t) = &fetched.response.schema_type
            && t != "AVRO"
        {
            body["schemaType"] = json!(t);
        }
        if !fetched.response.references.is_empty() {
            body["references"] = json!(fetched.response.references);
        }
        let path = format!("/subjects/{}?deleted=true", encode_path_segment(subject));
        let (status, text, url) = self
            .request(reqwest::Method::POST, &path, Some(&body))
            .await?;
        let v: VersionResponse = answer(status, &text, &url, &path, |url| {
            format!(
                "schema id {id} is not registered under subject {subject:?} in the schema registry at {url}; if the producer used another subject name strategy, set it with *.subject.name.strategy"
            )
        })?;
        Ok(v.version)
    }

    /// The schema with this id, ready to convert records of `topic`: fetched, parsed and
    /// given its subject version, each step at most once per container.
    /// The schema `id` without a subject version, as Confluent's `KafkaAvroDeserializer`
    /// reads it (it asks the registry for the schema only): for the Glue converter's
    /// secondary deserializer, whose Connect schema carries no version.
    pub async fn resolve_unversioned(&self, id: u32) -> Result<Arc<ResolvedSchema>, FetchError> {
        let fetched = self.fetched(id).await?;
        let decoder = fetched.parsed.clone().map_err(FetchError::NotFound)?;
        let cell = lock(&self.unversioned).entry(id).or_default().clone();
        let resolved = cell
            .get_or_init(|| async {
                Arc::new(ResolvedSchema {
                    id,
                    version: None,
                    decoder: decoder.with_version(None),
                })
            })
            .await;
        Ok(resolved.clone())
    }

    pub async fn resolve(
        &self,
        id: u32,
        topic: &str,
        is_key: bool,
    ) -> Result<Arc<ResolvedSchema>, FetchError> {
        let fetched = self.fetched(id).await?;
        let decoder = fetched.parsed.clone().map_err(FetchError::NotFound)?;
        let subject = self
            .settings
            .subject_strategy
            .subject(topic, is_key, decoder.record_name());
        let cell = lock(&self.by_subject_id)
            .entry((subject.clone(), id))
            .or_default()
            .clone();
        cell.get_or_try_init(|| async {
            let version = self.version(&subject, &fetched, id).await?;
            Ok(Arc::new(ResolvedSchema {
                id,
                version: Some(version),
                decoder: decoder.with_version(Some(version)),
            }))
        })
        .await
        .cloned()
    }
}

/// Reads a registry answer: JSON on 2xx, "not found" on 404, retryable otherwise.
fn answer<T: for<'de> Deserialize<'de>>(
    status: reqwest::StatusCode,
    body: &str,
    url: &str,
    path: &str,
    not_found: impl FnOnce(&str) -> String,
) -> Result<T, FetchError> {
    let excerpt: String = body.chars().take(200).collect();
    if status.is_success() {
        return serde_json::from_str(body).map_err(|e| {
            FetchError::Unavailable(format!(
                "{url}{path} answered {status} with a body that is not the expected JSON ({e}): {excerpt:?}"
            ))
        });
    }
    let message = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or(excerpt);
    match status.as_u16() {
        404 => Err(FetchError::NotFound(format!(
            "{} ({message})",
            not_found(url)
        ))),
        401 | 403 => Err(FetchError::Unavailable(format!(
            "{url}{path} answered {status} ({message}): check the converter's basic.auth.* or bearer.auth.* settings"
        ))),
        _ => Err(FetchError::Unavailable(format!(
            "{url}{path} answered {status}: {message}"
        ))),
    }
}

/// A transport error without the URL (which may carry credentials).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "reading the answer failed"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}

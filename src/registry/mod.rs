//! Confluent Schema Registry converters: `io.confluent.connect.avro.AvroConverter` (and, as
//! they arrive, the Protobuf and JSON Schema converters).
//!
//! A payload written by Confluent's serializers is framed as magic byte 0, a 4-byte big-endian
//! schema id, then the encoded data. Schemas are fetched by id from the registry
//! (`GET /schemas/ids/{id}`, references by `GET /subjects/{subject}/versions/{version}`) and the
//! subject version the Connect schema carries by `POST /subjects/{subject}`, as Confluent's
//! deserializer does; both are cached for the life of the container, and each is fetched at
//! most once even when many records (and partitions) of a batch need it at the same time.
//!
//! Before a batch is converted, [`Registries::resolve`] fetches every schema its records name.
//! A registry that cannot be reached or answers an error other than "not found" fails the
//! invocation as retryable (the mapping retries the batch); an id the registry does not know
//! fails only the records that carry it, under `errors.tolerance`.

pub mod avro;
mod client;
pub mod glue;
pub mod glue_json_schema;
pub mod glue_protobuf;
pub mod json_schema;
pub mod protobuf;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

pub use client::{FetchError, RegistryClient};

use crate::convert::{ConvertError, Converted};
use crate::event::PartitionBatch;

/// Which serializer's payloads a converter reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaType {
    /// `io.confluent.connect.avro.AvroConverter`.
    Avro,
    /// `io.confluent.connect.protobuf.ProtobufConverter`.
    Protobuf,
    /// `io.confluent.connect.json.JsonSchemaConverter`.
    JsonSchema,
}

impl SchemaType {
    /// The registry's `schemaType` name (`AVRO` when the registry leaves it out).
    pub fn registry_name(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Protobuf => "PROTOBUF",
            SchemaType::JsonSchema => "JSON",
        }
    }

    /// The type a registry `schemaType` names.
    pub fn from_registry_name(name: Option<&str>) -> Option<SchemaType> {
        match name.unwrap_or("AVRO") {
            "AVRO" => Some(SchemaType::Avro),
            "PROTOBUF" => Some(SchemaType::Protobuf),
            "JSON" => Some(SchemaType::JsonSchema),
            _ => None,
        }
    }

    /// The converter class that reads this type.
    pub fn converter_class(self) -> &'static str {
        match self {
            SchemaType::Avro => "io.confluent.connect.avro.AvroConverter",
            SchemaType::Protobuf => "io.confluent.connect.protobuf.ProtobufConverter",
            SchemaType::JsonSchema => "io.confluent.connect.json.JsonSchemaConverter",
        }
    }
}

/// A schema referenced by another (`references` in the registry): the name the referring
/// schema uses for it (an import path, a `$ref` URL, an Avro type name) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferencedSchema {
    pub name: String,
    pub schema: String,
}

/// A parsed writer schema of any type, ready to convert payloads.
#[derive(Debug, Clone)]
pub enum Decoder {
    Avro(avro::AvroSchema),
    Protobuf(protobuf::ProtobufSchema),
    Json(json_schema::JsonSchemaSchema),
    /// A JSON Schema read by the Glue library's `JsonSchemaConverter`.
    GlueJson(glue_json_schema::GlueJsonSchema),
    /// A Protobuf schema read by the Glue library's `ProtobufSchemaConverter`.
    GlueProtobuf(glue_protobuf::GlueProtobufSchema),
}

impl Decoder {
    /// Parses a registry schema of type `ty` with its references (dependencies first).
    pub fn parse(
        ty: SchemaType,
        text: &str,
        references: &[ReferencedSchema],
        settings: &RegistrySettings,
    ) -> Result<Decoder, String> {
        Ok(match ty {
            SchemaType::Avro => {
                let texts: Vec<String> = references.iter().map(|r| r.schema.clone()).collect();
                Decoder::Avro(avro::AvroSchema::parse(text, &texts, settings.avro)?)
            }
            SchemaType::Protobuf => {
                Decoder::Protobuf(protobuf::ProtobufSchema::parse(text, references)?)
            }
            SchemaType::JsonSchema => Decoder::Json(json_schema::JsonSchemaSchema::parse_with(
                text,
                references,
                settings.json,
            )?),
        })
    }

    pub fn schema_type(&self) -> SchemaType {
        match self {
            Decoder::Avro(_) => SchemaType::Avro,
            Decoder::Protobuf(_) | Decoder::GlueProtobuf(_) => SchemaType::Protobuf,
            Decoder::Json(_) | Decoder::GlueJson(_) => SchemaType::JsonSchema,
        }
    }

    /// The full name of the top-level record or message, for the record-name strategies.
    pub fn record_name(&self) -> Option<&str> {
        match self {
            Decoder::Avro(s) => s.record_name(),
            Decoder::Protobuf(s) => s.record_name(),
            Decoder::Json(s) => s.record_name(),
            Decoder::GlueJson(_) | Decoder::GlueProtobuf(_) => None,
        }
    }

    /// The same schema whose Connect form carries the subject version.
    pub fn with_version(&self, version: Option<i64>) -> Decoder {
        match self {
            Decoder::Avro(s) => Decoder::Avro(s.with_version(version)),
            Decoder::Protobuf(s) => Decoder::Protobuf(s.with_version(version)),
            Decoder::Json(s) => Decoder::Json(s.with_version(version)),
            Decoder::GlueJson(s) => Decoder::GlueJson(s.clone()),
            Decoder::GlueProtobuf(s) => Decoder::GlueProtobuf(s.clone()),
        }
    }

    /// Converts one payload (after the 5-byte header).
    pub fn convert(&self, payload: &[u8]) -> Result<Converted, ConvertError> {
        match self {
            Decoder::Avro(s) => s.convert(payload),
            Decoder::Protobuf(s) => s.convert(payload),
            Decoder::Json(s) => s.convert(payload),
            Decoder::GlueJson(s) => s.convert(payload),
            Decoder::GlueProtobuf(s) => s.convert(payload),
        }
    }
}

/// How the subject a schema is registered under is named (`key.subject.name.strategy`,
/// `value.subject.name.strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectStrategy {
    /// `TopicNameStrategy` (the default): `<topic>-key` / `<topic>-value`.
    TopicName,
    /// `RecordNameStrategy`: the record's full name.
    RecordName,
    /// `TopicRecordNameStrategy`: `<topic>-<record full name>`.
    TopicRecordName,
}

impl SubjectStrategy {
    /// The strategy a class name names, by its short name.
    pub fn parse(class: &str) -> Option<SubjectStrategy> {
        match class.rsplit('.').next().unwrap_or(class) {
            "TopicNameStrategy" => Some(SubjectStrategy::TopicName),
            "RecordNameStrategy" => Some(SubjectStrategy::RecordName),
            "TopicRecordNameStrategy" => Some(SubjectStrategy::TopicRecordName),
            _ => None,
        }
    }

    /// The subject for a record of `topic` whose schema's record full name is `record_name`.
    pub fn subject(self, topic: &str, is_key: bool, record_name: Option<&str>) -> String {
        let suffix = if is_key { "key" } else { "value" };
        match (self, record_name) {
            (SubjectStrategy::RecordName, Some(name)) => name.to_owned(),
            (SubjectStrategy::TopicRecordName, Some(name)) => format!("{topic}-{name}"),
            _ => format!("{topic}-{suffix}"),
        }
    }
}

/// Credentials for the registry (`basic.auth.credentials.source` and friends).
#[derive(Clone, PartialEq, Eq)]
pub enum RegistryAuth {
    /// No credentials.
    None,
    /// HTTP basic authentication with `user:password`.
    Basic(String),
    /// A static bearer token (`bearer.auth.credentials.source=STATIC_TOKEN`).
    Bearer(String),
}

impl std::fmt::Debug for RegistryAuth {
    /// Never shows the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RegistryAuth::None => f.write_str("None"),
            RegistryAuth::Basic(_) => f.write_str("Basic(<redacted>)"),
            RegistryAuth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

/// The options of `AvroData` that change how an Avro schema becomes a Connect schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AvroDataOptions {
    /// `connect.meta.data` (default true): keep docs and Connect parameters.
    pub connect_meta_data: bool,
    /// `enhanced.avro.schema.support` (default false): union members named by full name.
    pub enhanced_schema_support: bool,
    /// `flatten.singleton.unions` (default true).
    pub flatten_singleton_unions: bool,
    /// `discard.type.doc.default` (default false).
    pub discard_type_doc_default: bool,
}

impl Default for AvroDataOptions {
    fn default() -> Self {
        AvroDataOptions {
            connect_meta_data: true,
            enhanced_schema_support: false,
            flatten_singleton_unions: true,
            discard_type_doc_default: false,
        }
    }
}

/// One converter's registry settings (`key.converter.*` or `value.converter.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySettings {
    /// `schema.registry.url`: one or more base URLs, tried in order when one cannot be reached.
    pub urls: Vec<String>,
    pub auth: RegistryAuth,
    pub subject_strategy: SubjectStrategy,
    pub avro: AvroDataOptions,
    /// `JsonSchemaData`'s options (JsonSchemaConverter).
    pub json: json_schema::JsonSchemaDataOptions,
    /// Set for the AWS Glue Schema Registry converters (`AWSKafkaAvroConverter`,
    /// `JsonSchemaConverter`, `ProtobufSchemaConverter` of the Glue library): schemas
    /// come from Glue and the Confluent fields above are unused.
    pub glue: Option<glue::GlueSettings>,
}

/// Which half of a record a converter reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Key,
    Value,
}

impl Side {
    pub fn converter_key(self) -> &'static str {
        match self {
            Side::Key => "key.converter",
            Side::Value => "value.converter",
        }
    }
}

/// The registry framing of a payload: magic byte 0 and a 4-byte big-endian schema id.
pub fn framing(bytes: &[u8]) -> Result<(u32, &[u8]), ConvertError> {
    match bytes {
        [] => Err(ConvertError::Registry(
            "empty payload: no magic byte and schema id".to_owned(),
        )),
        [0, a, b, c, d, rest @ ..] => Ok((u32::from_be_bytes([*a, *b, *c, *d]), rest)),
        [0, ..] => Err(ConvertError::Registry(format!(
            "payload of {} bytes is too short for the 5-byte schema-registry header",
            bytes.len()
        ))),
        [m, ..] => Err(ConvertError::Registry(format!(
            "unknown magic byte {m} (Confluent's serializers write 0): not schema-registry framed"
        ))),
    }
}

/// A schema ready to convert payloads: the parsed writer schema and its Connect form.
#[derive(Debug)]
pub struct ResolvedSchema {
    pub id: u32,
    /// The subject version the Connect schema carries.
    pub version: Option<i64>,
    pub decoder: Decoder,
}

/// A schema's id in its registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SchemaId {
    /// A Confluent Schema Registry id.
    Confluent(u32),
    /// An AWS Glue Schema Registry schema version id.
    Glue([u8; 16]),
}

impl std::fmt::Display for SchemaId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaId::Confluent(id) => write!(f, "schema id {id}"),
            SchemaId::Glue(id) => write!(f, "Glue schema version {}", glue::uuid_text(id)),
        }
    }
}

/// The schemas one batch needs, per converter side and id: found, or why not (a record failure).
#[derive(Debug, Default)]
pub struct BatchSchemas {
    found: HashMap<(Side, SchemaId, String), Result<Arc<ResolvedSchema>, String>>,
    /// The converters that read Glue framing.
    glue_sides: Vec<Side>,
}

impl BatchSchemas {
    fn get(
        &self,
        side: Side,
        id: SchemaId,
        topic: &str,
    ) -> Option<&Result<Arc<ResolvedSchema>, String>> {
        self.found.get(&(side, id, topic.to_owned()))
    }
}

/// One converter's registry client.
#[derive(Debug, Clone)]
enum Backend {
    Confluent(Arc<RegistryClient>),
    Glue(Arc<glue::GlueClient>),
}

impl Backend {
    fn new(s: &RegistrySettings) -> Backend {
        match &s.glue {
            Some(g) => Backend::Glue(Arc::new(glue::GlueClient::new(s.clone(), g.clone()))),
            None => Backend::Confluent(Arc::new(RegistryClient::new(s.clone()))),
        }
    }

    fn settings(&self) -> &RegistrySettings {
        match self {
            Backend::Confluent(c) => c.settings(),
            Backend::Glue(g) => g.settings(),
        }
    }

    /// The id a payload's framing names (the registry's own framing only).
    fn id_of(&self, bytes: &[u8]) -> Option<SchemaId> {
        match self {
            Backend::Confluent(_) => framing(bytes).ok().map(|(id, _)| SchemaId::Confluent(id)),
            Backend::Glue(_) => glue::framing(bytes).ok().map(|(id, _)| SchemaId::Glue(id)),
        }
    }
}

/// The registry clients of the key and value converters.
#[derive(Debug, Default)]
pub struct Registries {
    key: Option<Backend>,
    value: Option<Backend>,
}

impl Registries {
    /// Clients for the converters that read a registry; one client when both name the same
    /// registry with the same settings.
    pub fn new(key: Option<&RegistrySettings>, value: Option<&RegistrySettings>) -> Registries {
        let value = value.map(Backend::new);
        let key = key.map(|s| match &value {
            Some(v) if v.settings() == s => v.clone(),
            _ => Backend::new(s),
        });
        Registries { key, value }
    }

    /// Whether any converter reads a registry.
    pub fn is_empty(&self) -> bool {
        self.key.is_none() && self.value.is_none()
    }

    fn client(&self, side: Side) -> Option<&Backend> {
        match side {
            Side::Key => self.key.as_ref(),
            Side::Value => self.value.as_ref(),
        }
    }

    /// Fetches (or finds in the cache) every schema the batches' records name, all at once.
    /// `sides` are the converters that will run. A registry failure other than "not found"
    /// is returned as the invocation's error; framing problems are left to the conversion.
    pub async fn resolve(
        &self,
        batches: &[PartitionBatch],
        sides: &[Side],
    ) -> Result<BatchSchemas, FetchError> {
        let mut wanted: BTreeSet<(Side, SchemaId, String)> = BTreeSet::new();
        for &side in sides {
            let Some(backend) = self.client(side) else {
                continue;
            };
            for batch in batches {
                for r in &batch.records {
                    let bytes = match side {
                        Side::Key => r.key.as_deref(),
                        Side::Value => r.value.as_deref(),
                    };
                    if let Some(id) = bytes.and_then(|b| backend.id_of(b)) {
                        wanted.insert((side, id, batch.topic.clone()));
                    }
                }
            }
        }
        let lookups = wanted.into_iter().map(|(side, id, topic)| async move {
            let backend = self.client(side).expect("sides with a client only");
            let result = match (backend, id) {
                (Backend::Confluent(c), SchemaId::Confluent(n)) => {
                    match c.resolve(n, &topic, side == Side::Key).await {
                        Ok(s) => Ok(Ok(s)),
                        Err(FetchError::NotFound(reason)) => Ok(Err(reason)),
                        Err(e) => Err(e),
                    }
                }
                (Backend::Glue(g), SchemaId::Glue(uuid)) => g.resolve(uuid).await,
                _ => unreachable!("ids come from their backend's framing"),
            };
            ((side, id, topic), result)
        });
        let mut found = HashMap::new();
        for (k, result) in futures::future::join_all(lookups).await {
            found.insert(k, result?);
        }
        let glue_sides = [Side::Key, Side::Value]
            .into_iter()
            .filter(|s| matches!(self.client(*s), Some(Backend::Glue(_))))
            .collect();
        Ok(BatchSchemas { found, glue_sides })
    }
}

/// Converts one registry-framed key or value with the schemas of its batch.
pub fn convert(
    schema_type: SchemaType,
    bytes: Option<&[u8]>,
    side: Side,
    topic: &str,
    schemas: &BatchSchemas,
) -> Result<Option<Converted>, ConvertError> {
    let Some(bytes) = bytes else { return Ok(None) };
    let glue = schemas.glue_sides.contains(&side);
    let (id, payload): (SchemaId, std::borrow::Cow<'_, [u8]>) = if glue {
        let (id, payload) = glue::framing(bytes)?;
        (SchemaId::Glue(id), payload)
    } else {
        let (id, payload) = framing(bytes)?;
        (SchemaId::Confluent(id), std::borrow::Cow::Borrowed(payload))
    };
    let resolved = match schemas.get(side, id, topic) {
        Some(Ok(s)) => s,
        Some(Err(reason)) => return Err(ConvertError::Registry(reason.clone())),
        None => {
            return Err(ConvertError::Registry(format!(
                "{id} was not looked up (no {} registry is configured)",
                side.converter_key()
            )));
        }
    };
    let actual = resolved.decoder.schema_type();
    if actual != schema_type {
        return Err(ConvertError::Registry(format!(
            "{id} is a {} schema, but {} is {}",
            actual.registry_name(),
            side.converter_key(),
            schema_type.converter_class()
        )));
    }
    resolved.decoder.convert(&payload).map(Some)
}

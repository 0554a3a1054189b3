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
use crate::event::{PartitionBatch, SchemaMetadata};

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

    /// Converts the JSON text the event-source mapping made of a payload written with this
    /// schema (`EventRecordFormat: JSON`), typed by the schema rather than inferred.
    pub fn convert_json(&self, text: &[u8]) -> Result<Converted, ConvertError> {
        match self {
            Decoder::Avro(s) => s.convert_json(text),
            Decoder::Protobuf(s) => s.convert_json(text),
            // JSON Schema payloads are JSON text already.
            Decoder::Json(s) => s.convert(text),
            Decoder::GlueJson(s) => s.convert(text),
            Decoder::GlueProtobuf(s) => s.convert_json(text),
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

/// How the event-source mapping's own schema registry hands over the records it validated
/// (`EventRecordFormat`), as `lambda.event.record.format` tells the sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventRecordFormat {
    /// The key or value arrives as JSON text, decoded by the mapping.
    Json,
    /// The key or value arrives in its source format, without the registry's framing.
    Source,
}

impl EventRecordFormat {
    pub fn parse(text: &str) -> Option<EventRecordFormat> {
        match text.to_ascii_uppercase().as_str() {
            "JSON" => Some(EventRecordFormat::Json),
            "SOURCE" => Some(EventRecordFormat::Source),
            _ => None,
        }
    }
}

/// The config key that says how the mapping hands over validated records.
pub const EVENT_RECORD_FORMAT_KEY: &str = "lambda.event.record.format";

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
    /// The Glue converters that read other framing as Confluent's (`secondaryDeserializer`).
    secondary_sides: Vec<Side>,
    /// `lambda.event.record.format`, for records the mapping's schema registry validated.
    record_format: Option<EventRecordFormat>,
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
    /// The Glue client, and the Confluent one of its `secondaryDeserializer` if set.
    Glue(Arc<glue::GlueClient>, Option<Arc<RegistryClient>>),
}

impl Backend {
    fn new(s: &RegistrySettings) -> Backend {
        match &s.glue {
            Some(g) => Backend::Glue(
                Arc::new(glue::GlueClient::new(s.clone(), g.clone())),
                g.secondary
                    .as_ref()
                    .map(|c| Arc::new(RegistryClient::new((**c).clone()))),
            ),
            None => Backend::Confluent(Arc::new(RegistryClient::new(s.clone()))),
        }
    }

    fn settings(&self) -> &RegistrySettings {
        match self {
            Backend::Confluent(c) => c.settings(),
            Backend::Glue(g, _) => g.settings(),
        }
    }

    /// The id a payload's framing names (the registry's own framing only).
    fn id_of(&self, bytes: &[u8]) -> Option<SchemaId> {
        match self {
            Backend::Confluent(_) => framing(bytes).ok().map(|(id, _)| SchemaId::Confluent(id)),
            Backend::Glue(_, secondary) => match bytes.first() {
                Some(&glue::HEADER_VERSION) => {
                    glue::framing(bytes).ok().map(|(id, _)| SchemaId::Glue(id))
                }
                _ if secondary.is_some() => {
                    framing(bytes).ok().map(|(id, _)| SchemaId::Confluent(id))
                }
                _ => None,
            },
        }
    }

    /// Which ids the mapping's schema metadata may name for this converter.
    fn metadata_ids(&self) -> MetadataIds {
        match self {
            Backend::Confluent(_) => MetadataIds::Confluent,
            Backend::Glue(_, None) => MetadataIds::Glue,
            Backend::Glue(_, Some(_)) => MetadataIds::Either,
        }
    }
}

/// The id a record's `keySchemaMetadata` / `valueSchemaMetadata` names, in the registry the
/// converter reads: a decimal id for the Confluent Schema Registry, a schema version UUID for
/// the Glue Schema Registry.
fn metadata_id(meta: &SchemaMetadata, ids: MetadataIds) -> Result<SchemaId, String> {
    let text = meta.schema_id.trim();
    let glue = uuid::Uuid::parse_str(text).map(|u| SchemaId::Glue(*u.as_bytes()));
    let confluent = text.parse::<u32>().map(SchemaId::Confluent);
    match ids {
        MetadataIds::Glue => glue.map_err(|_| {
            format!(
                "schemaId {text:?} of the mapping's schema metadata is not a Glue schema version id (a UUID), but the converter reads the Glue Schema Registry"
            )
        }),
        MetadataIds::Confluent => confluent.map_err(|_| {
            format!(
                "schemaId {text:?} of the mapping's schema metadata is not a Confluent schema id (a number), but the converter reads a Confluent Schema Registry"
            )
        }),
        MetadataIds::Either => glue.or(confluent).map_err(|_| {
            format!(
                "schemaId {text:?} of the mapping's schema metadata is neither a Glue schema version id (a UUID) nor a Confluent schema id (a number)"
            )
        }),
    }
}

/// The registries a converter reads ids from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MetadataIds {
    Confluent,
    Glue,
    /// The Glue registry, and a Confluent one through `secondaryDeserializer`.
    Either,
}

/// The registry clients of the key and value converters.
#[derive(Debug, Default)]
pub struct Registries {
    key: Option<Backend>,
    value: Option<Backend>,
    record_format: Option<EventRecordFormat>,
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
        Registries {
            key,
            value,
            record_format: None,
        }
    }

    /// The same clients, told how the mapping hands over the records it validated.
    pub fn with_record_format(mut self, format: Option<EventRecordFormat>) -> Registries {
        self.record_format = format;
        self
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
                    let (bytes, meta) = match side {
                        Side::Key => (r.key.as_deref(), r.key_schema.as_deref()),
                        Side::Value => (r.value.as_deref(), r.value_schema.as_deref()),
                    };
                    let id = match meta {
                        // Validated by the mapping's registry: the id is in the metadata.
                        Some(m) if bytes.is_some() => metadata_id(m, backend.metadata_ids()).ok(),
                        _ => bytes.and_then(|b| backend.id_of(b)),
                    };
                    if let Some(id) = id {
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
                (Backend::Glue(g, _), SchemaId::Glue(uuid)) => g.resolve(uuid).await,
                // Through the Glue converter's secondary deserializer: the Glue converter
                // gives the Connect schema no registry version (AWSKafkaAvroConverter calls
                // AvroData.toConnectData(schema, value) whichever deserializer read it).
                (Backend::Glue(_, Some(c)), SchemaId::Confluent(n)) => {
                    match c.resolve_unversioned(n).await {
                        Ok(s) => Ok(Ok(s)),
                        Err(FetchError::NotFound(reason)) => Ok(Err(reason)),
                        Err(e) => Err(e),
                    }
                }
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
            .filter(|s| matches!(self.client(*s), Some(Backend::Glue(..))))
            .collect();
        let secondary_sides = [Side::Key, Side::Value]
            .into_iter()
            .filter(|s| matches!(self.client(*s), Some(Backend::Glue(_, Some(_)))))
            .collect();
        Ok(BatchSchemas {
            found,
            glue_sides,
            secondary_sides,
            record_format: self.record_format,
        })
    }
}

/// Converts one key or value with the schemas of its batch: registry-framed, or, when `meta`
/// (the mapping's schema metadata) is set, as the mapping's schema registry handed it over.
pub fn convert(
    schema_type: SchemaType,
    bytes: Option<&[u8]>,
    meta: Option<&SchemaMetadata>,
    side: Side,
    topic: &str,
    schemas: &BatchSchemas,
) -> Result<Option<Converted>, ConvertError> {
    let Some(bytes) = bytes else { return Ok(None) };
    let glue = schemas.glue_sides.contains(&side);
    let secondary = schemas.secondary_sides.contains(&side);
    if let Some(meta) = meta {
        let ids = match (glue, secondary) {
            (false, _) => MetadataIds::Confluent,
            (true, false) => MetadataIds::Glue,
            (true, true) => MetadataIds::Either,
        };
        return convert_validated(schema_type, bytes, meta, side, topic, schemas, ids).map(Some);
    }
    let glue_framed = glue && (!secondary || bytes.first() == Some(&glue::HEADER_VERSION));
    let (id, payload): (SchemaId, std::borrow::Cow<'_, [u8]>) = if glue_framed {
        let (id, payload) = glue::framing(bytes)?;
        (SchemaId::Glue(id), payload)
    } else {
        let (id, payload) = framing(bytes)?;
        (SchemaId::Confluent(id), std::borrow::Cow::Borrowed(payload))
    };
    let resolved = lookup(schema_type, id, side, topic, schemas)?;
    resolved.decoder.convert(&payload).map(Some)
}

/// The resolved schema `id` of the batch, checked to be of the converter's type.
fn lookup<'a>(
    schema_type: SchemaType,
    id: SchemaId,
    side: Side,
    topic: &str,
    schemas: &'a BatchSchemas,
) -> Result<&'a Arc<ResolvedSchema>, ConvertError> {
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
    Ok(resolved)
}

/// A key or value the mapping's schema registry validated: the schema named by its metadata,
/// the bytes as `EventRecordFormat` delivers them (JSON text, or the source encoding without
/// the registry's framing).
fn convert_validated(
    schema_type: SchemaType,
    bytes: &[u8],
    meta: &SchemaMetadata,
    side: Side,
    topic: &str,
    schemas: &BatchSchemas,
    ids: MetadataIds,
) -> Result<Converted, ConvertError> {
    let err = |m: String| ConvertError::Registry(m);
    let field = match side {
        Side::Key => "keySchemaMetadata",
        Side::Value => "valueSchemaMetadata",
    };
    let Some(format) = schemas.record_format else {
        return Err(err(format!(
            "the record carries {field} (the event-source mapping validated it against its schema registry), so {EVENT_RECORD_FORMAT_KEY} must say how the mapping delivers it: JSON or SOURCE, as its EventRecordFormat"
        )));
    };
    // The mapping names the formats as the registry does (`AVRO`, `PROTOBUF`, `JSON`).
    let data_format = meta.data_format.to_ascii_uppercase();
    if SchemaType::from_registry_name(Some(&data_format)) != Some(schema_type) {
        return Err(err(format!(
            "{field}.dataFormat is {:?}, but {} is {}, which reads {}",
            meta.data_format,
            side.converter_key(),
            schema_type.converter_class(),
            schema_type.registry_name()
        )));
    }
    let id = metadata_id(meta, ids).map_err(err)?;
    let resolved = lookup(schema_type, id, side, topic, schemas)?;
    match format {
        EventRecordFormat::Source => resolved.decoder.convert(bytes),
        EventRecordFormat::Json => resolved.decoder.convert_json(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_ids_are_read_for_the_registry_the_converter_reads() {
        let meta = |id: &str| SchemaMetadata {
            data_format: "AVRO".into(),
            schema_id: id.into(),
        };
        assert_eq!(
            metadata_id(&meta("17"), MetadataIds::Confluent),
            Ok(SchemaId::Confluent(17))
        );
        assert_eq!(
            metadata_id(&meta("17"), MetadataIds::Either),
            Ok(SchemaId::Confluent(17))
        );
        let glue = metadata_id(
            &meta("b7b4a7f0-9c96-4e4a-a687-fb5de9ef0c63"),
            MetadataIds::Either,
        )
        .unwrap();
        assert_eq!(
            glue.to_string(),
            "Glue schema version b7b4a7f0-9c96-4e4a-a687-fb5de9ef0c63"
        );
        let e = metadata_id(
            &meta("b7b4a7f0-9c96-4e4a-a687-fb5de9ef0c63"),
            MetadataIds::Confluent,
        )
        .unwrap_err();
        assert!(e.contains("not a Confluent schema id"), "{e}");
        let e = metadata_id(&meta("17"), MetadataIds::Glue).unwrap_err();
        assert!(e.contains("not a Glue schema version id"), "{e}");
    }

    #[test]
    fn record_formats_parse_as_the_mapping_spells_them() {
        assert_eq!(
            EventRecordFormat::parse("JSON"),
            Some(EventRecordFormat::Json)
        );
        assert_eq!(
            EventRecordFormat::parse("source"),
            Some(EventRecordFormat::Source)
        );
        assert_eq!(EventRecordFormat::parse("AVRO"), None);
    }
}

//! The AWS Glue Schema Registry: payloads of the Glue library's three converters
//! (`AWSKafkaAvroConverter`, `jsonschema.JsonSchemaConverter`,
//! `protobuf.ProtobufSchemaConverter`) and their schemas.
//!
//! The Glue serializer's framing (`GlueSchemaRegistryDeserializerDataParser` in
//! awslabs/aws-glue-schema-registry): header version byte 3, a compression byte (0 none, 5
//! zlib), the 16-byte schema version UUID, then the payload. Schemas are fetched with the AWS
//! SDK's Glue client (`GetSchemaVersion`) and cached for the life of the container, each
//! version at most once. The library's Avro converter gives its Connect schema no version
//! (`AvroData.toConnectData(schema, value)`), so neither does this one.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::glue_json_schema::GlueJsonSchema;
use super::glue_protobuf::GlueProtobufSchema;
use super::{Decoder, FetchError, RegistrySettings, ResolvedSchema, SchemaType};
use crate::convert::ConvertError;

/// The Glue header version byte.
pub const HEADER_VERSION: u8 = 3;
const COMPRESSION_NONE: u8 = 0;
const COMPRESSION_ZLIB: u8 = 5;
/// Largest payload a zlib-compressed record may inflate to.
const MAX_INFLATED: u64 = 64 * 1024 * 1024;

/// Which of the Glue library's converters reads the payloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GlueConverter {
    /// `com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter`.
    #[default]
    Avro,
    /// `com.amazonaws.services.schemaregistry.kafkaconnect.jsonschema.JsonSchemaConverter`.
    JsonSchema,
    /// `com.amazonaws.services.schemaregistry.kafkaconnect.protobuf.ProtobufSchemaConverter`.
    Protobuf,
}

impl GlueConverter {
    /// The Glue converter a `key.converter`/`value.converter` class names, if any.
    pub fn from_class(class: &str) -> Option<GlueConverter> {
        match class.rsplit('.').next().unwrap_or(class) {
            "AWSKafkaAvroConverter" => Some(GlueConverter::Avro),
            "ProtobufSchemaConverter" => Some(GlueConverter::Protobuf),
            // Confluent's converter has the same short name.
            "JsonSchemaConverter" if class.starts_with("com.amazonaws.") => {
                Some(GlueConverter::JsonSchema)
            }
            _ => None,
        }
    }

    pub fn class_name(self) -> &'static str {
        match self {
            GlueConverter::Avro => {
                "com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter"
            }
            GlueConverter::JsonSchema => {
                "com.amazonaws.services.schemaregistry.kafkaconnect.jsonschema.JsonSchemaConverter"
            }
            GlueConverter::Protobuf => {
                "com.amazonaws.services.schemaregistry.kafkaconnect.protobuf.ProtobufSchemaConverter"
            }
        }
    }

    /// The schema versions' `DataFormat` this converter reads.
    pub fn data_format(self) -> &'static str {
        self.schema_type().registry_name()
    }

    pub fn schema_type(self) -> SchemaType {
        match self {
            GlueConverter::Avro => SchemaType::Avro,
            GlueConverter::JsonSchema => SchemaType::JsonSchema,
            GlueConverter::Protobuf => SchemaType::Protobuf,
        }
    }
}

/// Where the Glue client connects (`region`, `endpoint` converter options) and which
/// converter reads the payloads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GlueSettings {
    pub region: Option<String>,
    pub endpoint: Option<String>,
    /// `secondaryDeserializer` (Confluent's `KafkaAvroDeserializer`): the Confluent registry
    /// that reads records not framed by the Glue serializer.
    pub secondary: Option<Box<super::RegistrySettings>>,
    pub converter: GlueConverter,
}

/// A schema version id, formatted as Glue's API takes it.
pub fn uuid_text(id: &[u8; 16]) -> String {
    let h: String = id.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The Glue framing of a payload: the schema version id and the (inflated) data.
pub fn framing(bytes: &[u8]) -> Result<([u8; 16], std::borrow::Cow<'_, [u8]>), ConvertError> {
    let err = |m: String| ConvertError::Registry(m);
    match bytes {
        [HEADER_VERSION, compression, rest @ ..] if rest.len() >= 16 => {
            let mut id = [0u8; 16];
            id.copy_from_slice(&rest[..16]);
            let data = &rest[16..];
            match *compression {
                COMPRESSION_NONE => Ok((id, std::borrow::Cow::Borrowed(data))),
                COMPRESSION_ZLIB => {
                    let mut out = Vec::new();
                    flate2::read::ZlibDecoder::new(data)
                        .take(MAX_INFLATED + 1)
                        .read_to_end(&mut out)
                        .map_err(|e| {
                            err(format!("the zlib-compressed payload does not inflate: {e}"))
                        })?;
                    if out.len() as u64 > MAX_INFLATED {
                        return Err(err(format!(
                            "the compressed payload inflates past {MAX_INFLATED} bytes"
                        )));
                    }
                    Ok((id, std::borrow::Cow::Owned(out)))
                }
                other => Err(err(format!(
                    "unknown Glue compression byte {other} (0: none, 5: zlib)"
                ))),
            }
        }
        [HEADER_VERSION, ..] => Err(err(format!(
            "payload of {} bytes is too short for the 18-byte Glue Schema Registry header",
            bytes.len()
        ))),
        [] => Err(err(
            "empty payload: no Glue Schema Registry header".to_owned()
        )),
        [b, ..] => Err(err(format!(
            "header byte {b}: not framed by the Glue Schema Registry serializer (header byte 3){}",
            if *b == 0 {
                "; it looks like Confluent Schema Registry framing"
            } else {
                ""
            }
        ))),
    }
}

type Cell<T> = Arc<OnceCell<T>>;
/// A schema version, or why its records fail.
type Lookup = Result<Arc<ResolvedSchema>, String>;

/// A Glue Schema Registry client with its schema cache.
#[derive(Debug)]
pub struct GlueClient {
    settings: RegistrySettings,
    glue: GlueSettings,
    client: OnceCell<aws_sdk_glue::Client>,
    by_id: Mutex<HashMap<[u8; 16], Cell<Lookup>>>,
}

impl GlueClient {
    pub fn new(settings: RegistrySettings, glue: GlueSettings) -> GlueClient {
        GlueClient {
            settings,
            glue,
            client: OnceCell::new(),
            by_id: Mutex::new(HashMap::new()),
        }
    }

    pub fn settings(&self) -> &RegistrySettings {
        &self.settings
    }

    async fn client(&self) -> &aws_sdk_glue::Client {
        self.client
            .get_or_init(|| async {
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
                if let Some(r) = &self.glue.region {
                    loader = loader.region(aws_config::Region::new(r.clone()));
                }
                if let Some(e) = &self.glue.endpoint {
                    loader = loader.endpoint_url(e);
                }
                aws_sdk_glue::Client::new(&loader.load().await)
            })
            .await
    }

    /// The schema version `id`, parsed; fetched once. "Not found" and unusable schemas are
    /// kept as the records' failure; anything else is a retryable error.
    pub async fn resolve(
        &self,
        id: [u8; 16],
    ) -> Result<Result<Arc<ResolvedSchema>, String>, FetchError> {
        let cell = self
            .by_id
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(id)
            .or_default()
            .clone();
        cell.get_or_try_init(|| async {
            let text_id = uuid_text(&id);
            let out = self
                .client()
                .await
                .get_schema_version()
                .schema_version_id(&text_id)
                .send()
                .await;
            let out = match out {
                Ok(o) => o,
                Err(e) => {
                    let code = e
                        .as_service_error()
                        .and_then(|s| aws_sdk_glue::error::ProvideErrorMetadata::code(s))
                        .unwrap_or_default()
                        .to_owned();
                    let message = crate::aws_error::describe(&e, "glue:GetSchemaVersion");
                    if code == "EntityNotFoundException" {
                        return Ok(Err(format!(
                            "schema version {text_id} is not in the Glue Schema Registry ({code})"
                        )));
                    }
                    return Err(FetchError::Unavailable(format!(
                        "Glue GetSchemaVersion {text_id}: {message}"
                    )));
                }
            };
            let converter = self.glue.converter;
            let format = out.data_format().map(|f| f.as_str().to_owned());
            if format.as_deref() != Some(converter.data_format()) {
                return Ok(Err(format!(
                    "schema version {text_id} is {}, but {} reads {} schemas",
                    format.as_deref().unwrap_or("of no data format"),
                    converter.class_name(),
                    converter.data_format()
                )));
            }
            let Some(text) = out.schema_definition() else {
                return Ok(Err(format!("schema version {text_id} has no definition")));
            };
            let decoder = match converter {
                GlueConverter::Avro => Decoder::parse(SchemaType::Avro, text, &[], &self.settings),
                GlueConverter::JsonSchema => GlueJsonSchema::parse(text).map(Decoder::GlueJson),
                GlueConverter::Protobuf => {
                    // GlueSchemaRegistryDeserializationFacade.getSchemaName: the ARN's last part.
                    let name = out
                        .schema_arn()
                        .and_then(|a| a.rsplit('/').next())
                        .unwrap_or("schema");
                    GlueProtobufSchema::parse(text, name).map(Decoder::GlueProtobuf)
                }
            };
            Ok(decoder
                .map(|decoder| {
                    Arc::new(ResolvedSchema {
                        id: 0,
                        version: None,
                        decoder,
                    })
                })
                .map_err(|e| format!("schema version {text_id} cannot be used: {e}")))
        })
        .await
        .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const ID: [u8; 16] = [
        0xb7, 0xb4, 0xa7, 0xf0, 0x9c, 0x96, 0x4e, 0x4a, 0xa6, 0x87, 0xfb, 0x5d, 0xe9, 0xef, 0x0c,
        0x63,
    ];

    #[test]
    fn uuids_are_written_as_glue_takes_them() {
        assert_eq!(uuid_text(&ID), "b7b4a7f0-9c96-4e4a-a687-fb5de9ef0c63");
    }

    #[test]
    fn framing_reads_plain_and_zlib_payloads() {
        let mut plain = vec![3, 0];
        plain.extend_from_slice(&ID);
        plain.extend_from_slice(b"data");
        let (id, data) = framing(&plain).unwrap();
        assert_eq!((id, &*data), (ID, &b"data"[..]));

        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"compressed data").unwrap();
        let mut framed = vec![3, 5];
        framed.extend_from_slice(&ID);
        framed.extend(z.finish().unwrap());
        assert_eq!(&*framing(&framed).unwrap().1, b"compressed data");
    }

    #[test]
    fn bad_headers_say_what_they_are() {
        let e = |b: &[u8]| framing(b).unwrap_err().to_string();
        assert!(e(&[0, 0, 0, 0, 1, 2]).contains("looks like Confluent"));
        assert!(e(&[3, 0, 1]).contains("too short"));
        let mut bad = vec![3, 9];
        bad.extend_from_slice(&ID);
        assert!(e(&bad).contains("compression byte 9"));
        let mut z = vec![3, 5];
        z.extend_from_slice(&ID);
        z.extend_from_slice(b"not zlib");
        assert!(e(&z).contains("does not inflate"));
    }
}

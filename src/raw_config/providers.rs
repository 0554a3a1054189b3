//! Config providers, as Kafka Connect and MSK Connect users write them in any value:
//! `${secretsmanager:SECRET:KEY}` (a key of an AWS Secrets Manager JSON secret; without `KEY`
//! the whole secret string), `${ssm:PARAMETER}` (a Systems Manager parameter, decrypted;
//! MSK Connect's `${ssm::PARAMETER}` too), `${env:NAME}` (an environment variable) and
//! `${file:PATH:KEY}` (a key of a Java properties file, as Kafka's `FileConfigProvider`).
//!
//! The syntax is Kafka's `ConfigTransformer` pattern, `${provider:[path:]key}`. Placeholders
//! are resolved once, at cold start, each distinct one fetched once; the resolved values are
//! never logged, and `check` shows `[resolved from <provider>]` instead of them. A placeholder
//! that cannot be resolved fails the start naming the key and the placeholder, never a value.

use std::collections::{BTreeMap, BTreeSet};

use regex_lite::Regex;

use super::source::{Origin, RawConfig, parse_document};

/// One `${provider:[path:]key}` in a value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Placeholder {
    pub provider: String,
    pub path: Option<String>,
    pub key: String,
}

impl std::fmt::Display for Placeholder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.path {
            Some(p) => write!(f, "${{{}:{}:{}}}", self.provider, p, self.key),
            None => write!(f, "${{{}:{}}}", self.provider, self.key),
        }
    }
}

/// Why a placeholder could not be resolved. Messages name the key and the placeholder (which
/// names the secret, not its value) and never a resolved value.
#[derive(Debug, thiserror::Error)]
#[error("{key}: cannot resolve {placeholder}: {reason}")]
pub struct ProviderError {
    pub key: String,
    pub placeholder: String,
    pub reason: String,
}

/// Kafka's `ConfigTransformer.DEFAULT_PATTERN`: `${provider:[path:]key}`.
fn pattern() -> &'static Regex {
    static PATTERN: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}").expect("valid pattern")
    });
    &PATTERN
}

/// The placeholders in a value, in order.
pub fn placeholders(value: &str) -> Vec<Placeholder> {
    pattern()
        .captures_iter(value)
        .map(|c| placeholder(&c))
        .collect()
}

fn placeholder(c: &regex_lite::Captures<'_>) -> Placeholder {
    Placeholder {
        provider: c[1].to_owned(),
        path: c.get(3).map(|m| m.as_str().to_owned()),
        key: c[4].to_owned(),
    }
}

/// Fetches provider values. Implemented over the AWS SDK in [`AwsFetcher`]; tests may use
/// their own.
#[async_trait::async_trait]
pub trait Fetch {
    /// The value of a Secrets Manager secret's `SecretString`.
    async fn secret(&self, id: &str) -> Result<String, String>;
    /// The decrypted value of a Systems Manager parameter.
    async fn parameter(&self, name: &str) -> Result<String, String>;
}

/// The AWS SDK clients, built from the environment (region, credentials, `AWS_ENDPOINT_URL`).
pub struct AwsFetcher {
    secrets: aws_sdk_secretsmanager::Client,
    ssm: aws_sdk_ssm::Client,
}

impl AwsFetcher {
    pub async fn from_env() -> AwsFetcher {
        let sdk = aws_config::load_from_env().await;
        AwsFetcher {
            secrets: aws_sdk_secretsmanager::Client::new(&sdk),
            ssm: aws_sdk_ssm::Client::new(&sdk),
        }
    }
}

#[async_trait::async_trait]
impl Fetch for AwsFetcher {
    async fn secret(&self, id: &str) -> Result<String, String> {
        let out = self
            .secrets
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| crate::aws_error::describe(&e, "secretsmanager:GetSecretValue"))?;
        out.secret_string().map(str::to_owned).ok_or_else(|| {
            "the secret has no SecretString (binary secrets are not supported)".to_owned()
        })
    }

    async fn parameter(&self, name: &str) -> Result<String, String> {
        let out = self
            .ssm
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| crate::aws_error::describe(&e, "ssm:GetParameter"))?;
        out.parameter()
            .and_then(|p| p.value())
            .map(str::to_owned)
            .ok_or_else(|| "the parameter has no value".to_owned())
    }
}

/// Whether any value of `raw` has a placeholder.
pub fn has_placeholders(raw: &RawConfig) -> bool {
    let p = pattern();
    raw.iter().any(|(_, v, _)| p.is_match(v))
}

/// Resolves every placeholder of `raw` in place; `env` is the process environment.
pub async fn resolve(
    raw: &mut RawConfig,
    env: &[(String, String)],
    fetch: &dyn Fetch,
) -> Result<(), ProviderError> {
    let p = pattern();
    let keyed: Vec<(String, String)> = raw
        .iter()
        .filter(|(_, v, _)| p.is_match(v))
        .map(|(k, v, _)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut distinct: BTreeMap<Placeholder, String> = BTreeMap::new();
    for (key, value) in &keyed {
        for ph in placeholders(value) {
            if distinct.contains_key(&ph) {
                continue;
            }
            let err = |reason: String| ProviderError {
                key: key.clone(),
                placeholder: ph.to_string(),
                reason,
            };
            let resolved = lookup(&ph, env, fetch).await.map_err(err)?;
            distinct.insert(ph, resolved);
        }
    }
    for (key, value) in keyed {
        let mut providers: BTreeSet<String> = BTreeSet::new();
        let replaced = p.replace_all(&value, |c: &regex_lite::Captures<'_>| {
            let ph = placeholder(c);
            providers.insert(ph.provider.clone());
            distinct.get(&ph).cloned().unwrap_or_default()
        });
        raw.set_resolved(&key, replaced.into_owned(), providers.into_iter().collect());
    }
    Ok(())
}

async fn lookup(
    ph: &Placeholder,
    env: &[(String, String)],
    fetch: &dyn Fetch,
) -> Result<String, String> {
    match ph.provider.as_str() {
        "env" => env
            .iter()
            .rev()
            .find(|(n, _)| *n == ph.key)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("environment variable {} is not set", ph.key)),
        "file" => {
            let path = ph
                .path
                .as_deref()
                .ok_or("the file provider needs ${file:PATH:KEY}")?;
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            let pairs = parse_document(&text, &Origin::File(path.into()))
                .map_err(|e| format!("{path}: {e}"))?;
            pairs
                .into_iter()
                .rev()
                .find(|(k, _)| *k == ph.key)
                .map(|(_, v)| v)
                .ok_or_else(|| format!("{path} has no key {}", ph.key))
        }
        "secretsmanager" => match ph.path.as_deref().filter(|p| !p.is_empty()) {
            Some(secret) => {
                let text = fetch.secret(secret).await?;
                let json: serde_json::Value = serde_json::from_str(&text).map_err(|_| {
                    format!(
                        "secret {secret} is not a JSON object, so it has no key {}",
                        ph.key
                    )
                })?;
                match json.get(&ph.key) {
                    Some(serde_json::Value::String(s)) => Ok(s.clone()),
                    Some(serde_json::Value::Null) | None => {
                        Err(format!("secret {secret} has no key {}", ph.key))
                    }
                    Some(other) => Ok(other.to_string()),
                }
            }
            None => fetch.secret(&ph.key).await,
        },
        "ssm" => {
            // ${ssm:NAME} and MSK Connect's ${ssm::NAME}; ${ssm:PATH:NAME} joins them.
            let name = match ph.path.as_deref().filter(|p| !p.is_empty()) {
                Some(path) => format!("{}/{}", path.trim_end_matches('/'), ph.key),
                None => ph.key.clone(),
            };
            fetch.parameter(&name).await
        }
        other => Err(format!(
            "unknown config provider {other:?}; supported: secretsmanager, ssm, env, file"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fake;

    #[async_trait::async_trait]
    impl Fetch for Fake {
        async fn secret(&self, id: &str) -> Result<String, String> {
            match id {
                "prod/sr" => Ok(r#"{"user_info":"u:p","port":8081}"#.to_owned()),
                "plain" => Ok("just-text".to_owned()),
                _ => Err(
                    "ResourceNotFoundException: Secrets Manager can't find the specified secret."
                        .to_owned(),
                ),
            }
        }
        async fn parameter(&self, name: &str) -> Result<String, String> {
            match name {
                "/sink/bucket" => Ok("my-bucket".to_owned()),
                _ => Err("ParameterNotFound: none".to_owned()),
            }
        }
    }

    #[test]
    fn placeholders_follow_kafkas_pattern() {
        assert_eq!(
            placeholders("${secretsmanager:prod/sr:user_info}"),
            [Placeholder {
                provider: "secretsmanager".into(),
                path: Some("prod/sr".into()),
                key: "user_info".into()
            }]
        );
        let ssm = placeholders("s3://${ssm::/sink/bucket}/x ${env:HOME}");
        assert_eq!(ssm[0].path.as_deref(), Some(""));
        assert_eq!(ssm[0].key, "/sink/bucket");
        assert_eq!(ssm[1].provider, "env");
        // Connect's own `${topic}` in path formats has no provider and is left alone.
        assert!(placeholders("dt=${topic}").is_empty());
    }

    #[tokio::test]
    async fn values_resolve_and_are_marked() {
        let mut raw = RawConfig::from_pairs([
            (
                "value.converter.basic.auth.user.info",
                "${secretsmanager:prod/sr:user_info}",
            ),
            ("s3.bucket.name", "${ssm::/sink/bucket}"),
            ("topics", "orders-${env:STAGE}"),
            ("flush.size", "3"),
        ]);
        resolve(&mut raw, &[("STAGE".into(), "dev".into())], &Fake)
            .await
            .unwrap();
        assert_eq!(raw.get("value.converter.basic.auth.user.info"), Some("u:p"));
        assert_eq!(raw.get("s3.bucket.name"), Some("my-bucket"));
        assert_eq!(raw.get("topics"), Some("orders-dev"));
        assert_eq!(
            raw.resolved_from("s3.bucket.name"),
            Some(&["ssm".to_owned()][..])
        );
        assert_eq!(raw.resolved_from("flush.size"), None);
    }

    #[tokio::test]
    async fn the_file_provider_reads_a_properties_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secrets.properties");
        std::fs::write(&file, "# registry\nsr.user.info=u:p\n").unwrap();
        let value = format!("${{file:{}:sr.user.info}}", file.display());
        let mut raw = RawConfig::from_pairs([("value.converter.basic.auth.user.info", value)]);
        resolve(&mut raw, &[], &Fake).await.unwrap();
        assert_eq!(raw.get("value.converter.basic.auth.user.info"), Some("u:p"));
        assert_eq!(
            raw.resolved_from("value.converter.basic.auth.user.info"),
            Some(&["file".to_owned()][..])
        );
    }

    #[tokio::test]
    async fn failures_name_the_key_and_placeholder_only() {
        for (value, reason) in [
            ("${secretsmanager:missing:k}", "ResourceNotFoundException"),
            ("${secretsmanager:prod/sr:nope}", "has no key nope"),
            ("${secretsmanager:plain:k}", "not a JSON object"),
            ("${ssm:/nope}", "ParameterNotFound"),
            ("${env:NOT_SET_ANYWHERE}", "is not set"),
            ("${vault:a:b}", "unknown config provider"),
        ] {
            let mut raw = RawConfig::from_pairs([("some.key", value)]);
            let e = resolve(&mut raw, &[], &Fake).await.unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("some.key: cannot resolve {value}: ")),
                "{e}"
            );
            assert!(e.contains(reason), "{e}");
            assert!(!e.contains("u:p"), "{e}");
        }
    }
}

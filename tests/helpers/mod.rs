//! Shared helpers for the end-to-end tests: run the real handler on shipped configs and
//! events, against a local directory used as the bucket.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kafka_s3_sink::config;
use kafka_s3_sink::event::parse_event_json;
use kafka_s3_sink::storage::LocalStore;
use kafka_s3_sink::{InvocationSummary, Sink, SinkError};

/// A path inside the repository.
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Every file under `root`, by `/`-joined relative path, with its bytes.
pub fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Loads a config file with no environment overrides.
pub fn load_config(config_rel: &str) -> Arc<kafka_s3_sink::Config> {
    Arc::new(config::load(Some(&repo(config_rel)), &[]).expect("config is valid"))
}

/// Runs the event files through the handler into `dir`, one invocation each.
pub async fn replay_into(
    config_rel: &str,
    events: &[&str],
    dir: &Path,
) -> Result<Vec<InvocationSummary>, SinkError> {
    let sink = Sink::new(load_config(config_rel), Arc::new(LocalStore::new(dir)));
    let mut out = Vec::new();
    for e in events {
        let bytes = std::fs::read(repo(e)).unwrap();
        let event = parse_event_json(&bytes).unwrap();
        out.push(sink.handle(&event, 0).await?);
    }
    Ok(out)
}

/// Like [`replay_into`], with extra keys that override the file's (as `S3_SINK_*` variables
/// would).
pub async fn replay_into_with(
    config_rel: &str,
    overrides: &[(&str, &str)],
    events: &[&str],
    dir: &Path,
) -> Result<Vec<InvocationSummary>, SinkError> {
    let env: Vec<(String, String)> = overrides
        .iter()
        .map(|(k, v)| {
            (
                format!("S3_SINK_{}", k.to_uppercase().replace('.', "_")),
                (*v).to_owned(),
            )
        })
        .collect();
    let config = Arc::new(config::load(Some(&repo(config_rel)), &env).expect("config is valid"));
    let sink = Sink::new(config, Arc::new(LocalStore::new(dir)));
    let mut out = Vec::new();
    for e in events {
        let bytes = std::fs::read(repo(e)).unwrap();
        out.push(sink.handle(&parse_event_json(&bytes).unwrap(), 0).await?);
    }
    Ok(out)
}

/// Runs a Kafka event given as JSON text with a config given as `(key, value)` pairs.
pub async fn run_inline(
    pairs: &[(&str, &str)],
    event_json: &str,
    dir: &Path,
) -> Result<InvocationSummary, SinkError> {
    let raw = config::RawConfig::from_pairs(pairs.iter().copied());
    let config = Arc::new(kafka_s3_sink::Config::from_raw(&raw).expect("config is valid"));
    let sink = Sink::new(config, Arc::new(LocalStore::new(dir)));
    let event = parse_event_json(event_json.as_bytes()).unwrap();
    sink.handle(&event, 0).await
}

/// The text of every file, for readable assertions.
pub fn text_tree(root: &Path) -> BTreeMap<String, String> {
    read_tree(root)
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8(v).expect("utf-8 file")))
        .collect()
}

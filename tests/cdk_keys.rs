//! The CDK construct validates connector configs at synth time against `cdk/lib/keys.json`, a
//! copy of the crate's key table. This test fails when the table changes and the copy does not,
//! so the construct never accepts a key the function rejects (or the reverse).

use std::path::Path;

use kafka_s3_sink::config::keys::{KEYS, is_secret, json_description};
use serde_json::Value;

#[test]
fn cdk_key_table_matches_the_crate() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("cdk/lib/keys.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let committed: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
    assert!(
        committed == json_description(),
        "cdk/lib/keys.json is stale: regenerate it with `cargo run -q -- keys --json > cdk/lib/keys.json`"
    );
}

/// Keys outside the table (options under an open prefix) are secrets by name; the construct's
/// copy of the crate's name rule must say what `keys::is_secret` says.
#[test]
fn cdk_secret_patterns_match_the_crate() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("cdk/lib/secret-key-patterns.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let patterns: Vec<String> = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not a JSON list of strings: {e}", path.display()));
    let by_patterns = |key: &str| {
        let k = key.to_ascii_lowercase();
        patterns.iter().any(|p| k.contains(p.as_str()))
    };
    let probes = KEYS.iter().map(|k| k.name.to_owned()).chain(
        [
            "value.converter.basic.auth.user.info",
            "value.converter.schema.registry.ssl.keystore.password",
            "key.converter.sasl.jaas.config",
            "transforms.x.aws.session.token",
            "value.converter.ssl.truststore.location",
            "transforms.mask.fields",
        ]
        .map(str::to_owned),
    );
    for key in probes {
        assert_eq!(
            by_patterns(&key),
            is_secret(&key),
            "{key}: cdk/lib/secret-key-patterns.json disagrees with keys::is_secret; update the list"
        );
    }
}

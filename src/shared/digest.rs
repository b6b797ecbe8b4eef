//! SHA-256 digests as cleat writes them everywhere: `sha256:` and 64 lowercase
//! hex digits, so a digest says which algorithm made it.

use sha2::{Digest, Sha256};

/// The prefix of every digest cleat writes.
pub const PREFIX: &str = "sha256:";

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `sha256:` and the hex SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("{PREFIX}{}", sha256_hex(bytes))
}

/// Whether `text` is a well-formed digest (`sha256:` and 64 lowercase hex digits).
pub fn is_digest(text: &str) -> bool {
    text.strip_prefix(PREFIX).is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The canonical JSON text of `value`, the input of every object and release
/// digest: object keys sorted by their UTF-8 bytes at every level, no
/// whitespace, strings escaped as JSON requires (`"`, `\\` and control
/// characters; everything else as UTF-8), integers in decimal and other
/// numbers in their shortest round-trip form.
pub fn canonical_json(value: &serde_json::Value) -> String {
    serde_json::to_string(&sorted(value)).unwrap_or_default()
}

fn sorted(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            entries
                .into_iter()
                .map(|(k, v)| (k.clone(), sorted(v)))
                .collect::<serde_json::Map<_, _>>()
                .into()
        }
        serde_json::Value::Array(items) => items.iter().map(sorted).collect(),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_name_their_algorithm() {
        let empty = sha256(b"");
        assert_eq!(
            empty,
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(is_digest(&empty));
        assert!(!is_digest("sha256:E3B0"));
        assert!(!is_digest(&empty.replace("sha256", "md5")));
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let value = serde_json::json!({"b": [{"z": 1, "a": "é\n"}], "a": 1.5, "A": null});
        assert_eq!(
            canonical_json(&value),
            r#"{"A":null,"a":1.5,"b":[{"a":"é\n","z":1}]}"#
        );
    }
}

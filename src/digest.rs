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
}

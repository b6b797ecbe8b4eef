//! Secret markers: how the lockfile and release records hold a secret
//! without its value.
//!
//! A secret's value is replaced by a marker with its reference and an
//! argon2id hash of its value with a random salt (`hash`, a PHC string:
//! `$argon2id$v=19$m=19456,t=2,p=1$SALT$HASH`), so that a lockfile or record
//! cannot confirm a guessed secret cheaply offline. The salt is random, so
//! a secret that did not change keeps the marker it had: markers of an
//! earlier lock entry are reused when they verify the value. Markers of
//! lockfile version 1 (`sha256`, unsalted) are still verified when read.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;

use crate::release::file::Secret;
use crate::shared::digest::sha256;

/// Memory of the hash, KiB (OWASP's minimum for argon2id).
const MEMORY_KIB: u32 = 19_456;
/// Passes of the hash.
const PASSES: u32 = 2;
const SALT_BYTES: usize = 16;
const HASH_BYTES: usize = 32;
/// Largest parameters accepted when verifying a marker, so that a hostile
/// lockfile cannot make cleat allocate without bound.
const MAX_MEMORY_KIB: u32 = 256 * 1024;
const MAX_PASSES: u32 = 16;

/// A secret's value at its place in the values, held in memory only, so
/// that its marker can be checked and kept.
#[derive(Clone)]
pub struct Unmasked {
    /// A JSON pointer into the values.
    pub pointer: String,
    value: String,
}

impl Unmasked {
    /// The secret `value` at `pointer`.
    pub fn new(pointer: &str, value: String) -> Unmasked {
        Unmasked {
            pointer: pointer.to_string(),
            value,
        }
    }
}

/// `text` with every secret value in it replaced by `(secret)`: for text
/// meant for people, such as a package's NOTES, which must not print one.
pub fn redact(text: &str, secrets: &[Unmasked]) -> String {
    let mut text = text.to_string();
    for secret in secrets.iter().filter(|s| !s.value.is_empty()) {
        text = text.replace(&secret.value, "(secret)");
    }
    text
}

impl std::fmt::Debug for Unmasked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Unmasked({}, hidden)", self.pointer)
    }
}

/// Whether `value` is a secret marker.
pub fn is_marker(value: &serde_json::Value) -> bool {
    value.get("secretFrom").is_some()
}

/// Whether `marker` is of the old, unsalted format (lockfile version 1).
pub fn is_unsalted(marker: &serde_json::Value) -> bool {
    is_marker(marker) && marker.get("hash").is_none() && marker.get("sha256").is_some()
}

/// A new marker for `value`, from `from` (the reference as JSON).
fn marker(from: serde_json::Value, value: &str) -> serde_json::Value {
    let mut salt = [0u8; SALT_BYTES];
    // Without randomness the salt is fixed; the hash stays slow.
    let _ = getrandom::fill(&mut salt);
    let hash = hash(value, &salt, MEMORY_KIB, PASSES).unwrap_or_default();
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    serde_json::json!({
        "secretFrom": from,
        "hash": format!(
            "$argon2id$v=19$m={MEMORY_KIB},t={PASSES},p=1${}${}",
            b64.encode(salt),
            b64.encode(hash)
        ),
    })
}

fn hash(value: &str, salt: &[u8], memory: u32, passes: u32) -> Result<Vec<u8>, String> {
    let params = Params::new(memory, passes, 1, Some(HASH_BYTES)).map_err(|e| e.to_string())?;
    let mut out = vec![0u8; HASH_BYTES];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(value.as_bytes(), salt, &mut out)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// Whether `marker` is the marker of `value`; an error says why a marker
/// cannot be checked.
pub fn verifies(marker: &serde_json::Value, value: &str) -> Result<bool, String> {
    if let Some(phc) = marker.get("hash").and_then(|h| h.as_str()) {
        let parts: Vec<&str> = phc.split('$').collect();
        let ["", "argon2id", "v=19", params, salt, expected] = parts.as_slice() else {
            return Err(format!(
                "`{phc}` is not an argon2id hash (`$argon2id$v=19$m=...,t=...,p=1$SALT$HASH`)"
            ));
        };
        let mut memory = None;
        let mut passes = None;
        for param in params.split(',') {
            match param.split_once('=') {
                Some(("m", m)) => memory = m.parse::<u32>().ok(),
                Some(("t", t)) => passes = t.parse::<u32>().ok(),
                Some(("p", "1")) => {}
                _ => return Err(format!("argon2id parameter `{param}` is not supported")),
            }
        }
        let (Some(memory), Some(passes)) = (memory, passes) else {
            return Err(format!("`{params}` lacks `m` or `t`"));
        };
        if memory > MAX_MEMORY_KIB || passes > MAX_PASSES {
            return Err(format!(
                "`{params}` asks more than cleat allows (m={MAX_MEMORY_KIB}, t={MAX_PASSES})"
            ));
        }
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
        let salt = b64
            .decode(salt)
            .map_err(|e| format!("its salt is not base64: {e}"))?;
        let expected = b64
            .decode(expected)
            .map_err(|e| format!("its hash is not base64: {e}"))?;
        return Ok(hash(value, &salt, memory, passes)? == expected);
    }
    match marker.get("sha256").and_then(|h| h.as_str()) {
        Some(digest) => Ok(sha256(value.as_bytes()) == digest),
        None => Err("it has neither `hash` nor `sha256`".to_string()),
    }
}

/// The JSON pointer of the value at the dotted `path`.
pub fn pointer(path: &str) -> String {
    path.split('.')
        .map(|key| format!("/{}", key.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// `values` with each secret's value replaced by a marker, and the secrets'
/// values. A secret whose marker in `earlier` (the values of an earlier lock
/// entry) verifies its value keeps that marker.
pub fn mask(
    values: &serde_json::Value,
    secrets: &[Secret],
    earlier: Option<&serde_json::Value>,
) -> (serde_json::Value, Vec<Unmasked>) {
    let mut masked = values.clone();
    let mut unmasked = Vec::new();
    for secret in secrets {
        let pointer = pointer(&secret.path);
        // A later layer may have replaced the secret; only its own value is masked.
        let Some(at @ serde_json::Value::String(_)) = masked.pointer_mut(&pointer) else {
            continue;
        };
        let value = at.as_str().unwrap_or_default().to_string();
        let from = secret.from.to_json();
        let kept = earlier
            .and_then(|e| e.pointer(&pointer))
            .filter(|m| m["secretFrom"] == from && !is_unsalted(m))
            .filter(|m| verifies(m, &value) == Ok(true));
        *at = match kept {
            Some(marker) => marker.clone(),
            None => marker(from, &value),
        };
        unmasked.push(Unmasked { pointer, value });
    }
    (masked, unmasked)
}

/// Takes into `values` the markers of `earlier` that verify the secrets'
/// values, so that an unchanged secret keeps its marker. Says whether any
/// marker changed.
pub fn keep(
    values: &mut serde_json::Value,
    earlier: &serde_json::Value,
    secrets: &[Unmasked],
) -> bool {
    let mut changed = false;
    for secret in secrets {
        let (Some(ours), Some(theirs)) = (
            values.pointer(&secret.pointer),
            earlier.pointer(&secret.pointer),
        ) else {
            continue;
        };
        if ours == theirs
            || ours["secretFrom"] != theirs["secretFrom"]
            || is_unsalted(theirs)
            || verifies(theirs, &secret.value) != Ok(true)
        {
            continue;
        }
        let theirs = theirs.clone();
        if let Some(ours) = values.pointer_mut(&secret.pointer) {
            *ours = theirs;
            changed = true;
        }
    }
    changed
}

/// The Secrets a lookup answer holds, by where they are in it: the answer
/// itself, or the items of a list.
fn answer_secrets(answer: &serde_json::Value) -> Vec<String> {
    let is_secret = |o: &serde_json::Value| o["kind"] == "Secret" && o["apiVersion"] == "v1";
    if is_secret(answer) {
        return vec![String::new()];
    }
    match answer.get("items").and_then(|items| items.as_array()) {
        Some(items) => (0..items.len())
            .filter(|i| is_secret(&items[*i]))
            .map(|i| format!("/items/{i}"))
            .collect(),
        None => Vec::new(),
    }
}

/// A Secret's `data` and `stringData`, as the one text its marker hashes.
fn secret_data(secret: &serde_json::Value) -> String {
    let data = serde_json::json!({
        "data": secret.get("data").cloned().unwrap_or(serde_json::Value::Null),
        "stringData": secret.get("stringData").cloned().unwrap_or(serde_json::Value::Null),
    });
    crate::shared::digest::canonical_json(&data)
}

/// A lookup answer as a lockfile may hold it: each Secret's `data` (and
/// `stringData`) replaced by one marker from `{"lookup": KEY}`, reusing the
/// marker at the same place in `earlier` when it verifies; the data join
/// `secrets`, at `lookup:KEY` and the Secret's place.
pub fn mask_lookup(
    key: &str,
    answer: &serde_json::Value,
    earlier: Option<&serde_json::Value>,
    secrets: &mut Vec<Unmasked>,
) -> serde_json::Value {
    let mut masked = answer.clone();
    for place in answer_secrets(answer) {
        let Some(secret) = masked.pointer_mut(&place) else {
            continue;
        };
        let value = secret_data(secret);
        let from = serde_json::json!({ "lookup": key });
        let kept = earlier
            .and_then(|e| e.pointer(&format!("{place}/data")))
            .filter(|m| m["secretFrom"] == from && verifies(m, &value) == Ok(true))
            .cloned();
        if let Some(map) = secret.as_object_mut() {
            map.remove("stringData");
            map.insert("data".into(), kept.unwrap_or_else(|| marker(from, &value)));
        }
        secrets.push(Unmasked {
            pointer: format!("lookup:{key}{place}"),
            value,
        });
    }
    masked
}

/// Takes into `ours`, a masked answer to the lookup of `key`, the markers of
/// `theirs` (an earlier one) that verify the Secrets' data in `secrets`.
/// Says whether any marker changed.
pub fn keep_lookup(
    key: &str,
    ours: &mut serde_json::Value,
    theirs: &serde_json::Value,
    secrets: &[Unmasked],
) -> bool {
    let mut changed = false;
    for place in answer_secrets(ours) {
        let at = format!("{place}/data");
        let pointer = format!("lookup:{key}{place}");
        let (Some(secret), Some(mine), Some(earlier)) = (
            secrets.iter().find(|s| s.pointer == pointer),
            ours.pointer(&at),
            theirs.pointer(&at),
        ) else {
            continue;
        };
        if mine == earlier
            || mine["secretFrom"] != earlier["secretFrom"]
            || verifies(earlier, &secret.value) != Ok(true)
        {
            continue;
        }
        let earlier = earlier.clone();
        if let Some(mine) = ours.pointer_mut(&at) {
            *mine = earlier;
            changed = true;
        }
    }
    changed
}

/// Whether a lookup answer of a lockfile holds a Secret's marker, so that
/// rendering needs the Secret read again.
pub fn has_masked_secret(answer: &serde_json::Value) -> bool {
    answer_secrets(answer).iter().any(|place| {
        answer
            .pointer(&format!("{place}/data"))
            .is_some_and(is_marker)
    })
}

/// The recorded, masked answer `recorded` with each Secret's data taken from
/// `live` (the answer now), which must be the same Secret (by name) with
/// data that verifies the marker; else why not.
pub fn unmask_lookup(
    recorded: &serde_json::Value,
    live: &serde_json::Value,
) -> Result<serde_json::Value, String> {
    let mut answer = recorded.clone();
    for place in answer_secrets(recorded) {
        let name = |v: &serde_json::Value| v.pointer(&format!("{place}/metadata/name")).cloned();
        let shown = name(recorded)
            .and_then(|n| n.as_str().map(str::to_string))
            .unwrap_or_default();
        let now = live
            .pointer(&place)
            .filter(|_| name(live) == name(recorded))
            .ok_or_else(|| format!("Secret `{shown}` is gone"))?;
        let Some(marker) = recorded
            .pointer(&format!("{place}/data"))
            .filter(|m| is_marker(m))
        else {
            continue;
        };
        match verifies(marker, &secret_data(now)) {
            Ok(true) => {}
            Ok(false) => return Err(format!("the data of Secret `{shown}` changed")),
            Err(why) => return Err(format!("its marker cannot be checked: {why}")),
        }
        if let Some(secret) = answer.pointer_mut(&place).and_then(|s| s.as_object_mut()) {
            secret.remove("data");
            for field in ["data", "stringData"] {
                if let Some(v) = now.get(field) {
                    secret.insert(field.into(), v.clone());
                }
            }
        }
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_verify_their_value_only_and_are_salted() {
        let from = serde_json::json!({"env": "TOKEN"});
        let a = marker(from.clone(), "hunter2");
        let b = marker(from, "hunter2");
        assert_ne!(a, b, "each marker has its own salt");
        assert_eq!(verifies(&a, "hunter2"), Ok(true));
        assert_eq!(verifies(&a, "hunter3"), Ok(false));
        let text = a.to_string();
        assert!(!text.contains(&sha256(b"hunter2")), "{text}");
        assert!(text.contains("$argon2id$v=19$m=19456,t=2,p=1$"), "{text}");
    }

    #[test]
    fn lookup_answers_keep_secret_data_as_one_marker() {
        let secret = serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "namespace": "web"},
            "data": {"password": "aHVudGVyMg=="},
        });
        let list = serde_json::json!({"kind": "SecretList", "items": [secret.clone()]});
        let mut secrets = Vec::new();
        let masked = mask_lookup("v1 Secret web/", &list, None, &mut secrets);
        let text = masked.to_string();
        assert!(!text.contains("aHVudGVyMg"), "{text}");
        assert!(has_masked_secret(&masked));
        assert_eq!(masked["items"][0]["metadata"]["name"], "db");
        assert_eq!(secrets.len(), 1);
        assert_eq!(secrets[0].pointer, "lookup:v1 Secret web//items/0");
        // The marker stays while the data verifies it.
        let again = mask_lookup("v1 Secret web/", &list, Some(&masked), &mut Vec::new());
        assert_eq!(again, masked);
        let back = unmask_lookup(&masked, &list).expect("the data verifies");
        assert_eq!(back, list);
        let mut changed = list.clone();
        changed["items"][0]["data"]["password"] = "b3RoZXI=".into();
        let error = unmask_lookup(&masked, &changed).expect_err("other data");
        assert_eq!(error, "the data of Secret `db` changed");
        let gone = serde_json::json!({"kind": "SecretList", "items": []});
        let error = unmask_lookup(&masked, &gone).expect_err("no Secret");
        assert_eq!(error, "Secret `db` is gone");
        let config =
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}});
        assert_eq!(mask_lookup("k", &config, None, &mut Vec::new()), config);
        assert!(!has_masked_secret(&config));
    }

    #[test]
    fn old_markers_verify_and_hostile_parameters_are_refused() {
        let old = serde_json::json!({"secretFrom": {"env": "T"}, "sha256": sha256(b"x")});
        assert!(is_unsalted(&old));
        assert_eq!(verifies(&old, "x"), Ok(true));
        let bomb = serde_json::json!({"secretFrom": {"env": "T"},
            "hash": "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA"});
        let err = verifies(&bomb, "x").unwrap_err();
        assert!(err.contains("asks more than cleat allows"), "{err}");
        let wrong = serde_json::json!({"secretFrom": {"env": "T"}, "hash": "md5:abc"});
        assert!(verifies(&wrong, "x")
            .unwrap_err()
            .contains("is not an argon2id hash"));
    }
}

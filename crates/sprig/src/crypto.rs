//! sprig's symmetric and password functions: `derivePassword` (the Master
//! Password algorithm: scrypt, then HMAC-SHA256 choosing from templates),
//! `encryptAES` and `decryptAES` (AES-256-CBC, PKCS#7 padding, the IV
//! before the ciphertext, base64), and `bcrypt`. What needs randomness (the
//! IV, bcrypt's salt) takes it from the deterministic stream of
//! [`crate::random`], so a release always encrypts to the same text.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine as _;
use gotmpl::Value;
use hmac::Mac as _;

use crate::{arity, int, text};

type Result = std::result::Result<Value, String>;

const SEED: &str = "com.lyndir.masterpassword";

/// The password templates of each type, as sprig lists them.
const TEMPLATES: [(&str, &[&str]); 6] = [
    ("maximum", &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"]),
    (
        "long",
        &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
    ),
    ("medium", &["CvcnoCvc", "CvcCvcno"]),
    ("short", &["Cvcn"]),
    ("basic", &["aaanaaan", "aannaaan", "aaannaaa"]),
    ("pin", &["nnnn"]),
];

/// The characters each template letter stands for.
fn characters(class: u8) -> &'static [u8] {
    match class {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

pub fn register(add: &mut impl FnMut(&str, fn(&[Value]) -> Result)) {
    add("derivePassword", |a| match a {
        [counter, kind, password, user, site] => Ok(Value::String(derive_password(
            int(counter) as u32,
            &text(kind),
            &text(password),
            &text(user),
            &text(site),
        ))),
        _ => Err(arity("derivePassword", 5, a.len())),
    });
    add("decryptAES", |a| match a {
        [key, encrypted] => decrypt_aes(&text(key), &text(encrypted)).map(Value::String),
        _ => Err(arity("decryptAES", 2, a.len())),
    });
}

/// The Master Password of `user` for `site`, as sprig derives it.
fn derive_password(counter: u32, kind: &str, password: &str, user: &str, site: &str) -> String {
    let Some((_, templates)) = TEMPLATES.iter().find(|(name, _)| *name == kind) else {
        return format!("cannot find password template {kind}");
    };
    let scoped = |name: &str| {
        let mut bytes = SEED.as_bytes().to_vec();
        bytes.extend((name.len() as u32).to_be_bytes());
        bytes.extend(name.as_bytes());
        bytes
    };
    let mut key = [0u8; 64];
    let params = scrypt::Params::new(15, 8, 2, 64).expect("valid scrypt parameters");
    if let Err(e) = scrypt::scrypt(password.as_bytes(), &scoped(user), &params, &mut key) {
        return format!("failed to derive password: {e}");
    }
    let mut message = scoped(site);
    message.extend(counter.to_be_bytes());
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(&message);
    let seed = mac.finalize().into_bytes();
    let template = templates[usize::from(seed[0]) % templates.len()];
    template
        .bytes()
        .enumerate()
        .map(|(i, class)| {
            let chars = characters(class);
            chars[usize::from(seed[i + 1]) % chars.len()] as char
        })
        .collect()
}

/// sprig's key: the password's bytes, cut or zero-padded to 32.
fn aes_key(password: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    let bytes = password.as_bytes();
    let n = bytes.len().min(32);
    key[..n].copy_from_slice(&bytes[..n]);
    key
}

/// `encryptAES`: `iv` (16 bytes from the caller's stream) then the
/// ciphertext, in base64; the empty string stays empty.
pub fn encrypt_aes(password: &str, plain: &str, iv: [u8; 16]) -> String {
    if plain.is_empty() {
        return String::new();
    }
    let cipher = cbc::Encryptor::<aes::Aes256>::new(&aes_key(password).into(), &iv.into());
    let mut out = iv.to_vec();
    out.extend(cipher.encrypt_padded_vec_mut::<Pkcs7>(plain.as_bytes()));
    base64::engine::general_purpose::STANDARD.encode(out)
}

fn decrypt_aes(password: &str, encrypted: &str) -> std::result::Result<String, String> {
    if encrypted.is_empty() {
        return Ok(String::new());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encrypted)
        .map_err(|e| format!("illegal base64 data: {e}"))?;
    if bytes.len() < 32 || bytes.len() % 16 != 0 {
        return Err(format!(
            "the ciphertext is {} bytes: expected a 16-byte IV and whole 16-byte blocks",
            bytes.len()
        ));
    }
    let (iv, body) = bytes.split_at(16);
    let iv: [u8; 16] = iv.try_into().map_err(|_| "bad IV".to_string())?;
    let cipher = cbc::Decryptor::<aes::Aes256>::new(&aes_key(password).into(), &iv.into());
    let plain = cipher
        .decrypt_padded_vec_mut::<Pkcs7>(body)
        .map_err(|_| "the ciphertext does not decrypt with this key (bad padding)".to_string())?;
    Ok(String::from_utf8_lossy(&plain).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aes_round_trips_and_refuses_what_does_not_decrypt() {
        let encrypted = encrypt_aes("key", "text", [7; 16]);
        assert_eq!(decrypt_aes("key", &encrypted).as_deref(), Ok("text"));
        assert_eq!(
            decrypt_aes("other key", &encrypted),
            Err("the ciphertext does not decrypt with this key (bad padding)".into())
        );
        assert_eq!(
            decrypt_aes("key", "AAAA"),
            Err("the ciphertext is 3 bytes: expected a 16-byte IV and whole 16-byte blocks".into())
        );
        assert!(decrypt_aes("key", "not base64!")
            .unwrap_err()
            .starts_with("illegal base64 data"));
        assert_eq!(encrypt_aes("key", "", [0; 16]), "");
    }
}

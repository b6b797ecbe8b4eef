//! sprig's random functions, made deterministic: `randAlphaNum`,
//! `randAlpha`, `randNumeric`, `randAscii`, `randBytes`, `randInt`,
//! `uuidv4`, `shuffle`, `htpasswd` and `bcrypt` (whose salt is random),
//! `encryptAES` (whose IV is), and the key and certificate functions of
//! [`crate::certs`].
//!
//! Each call draws its bytes from SHA-256 of the seed (which the caller
//! derives from the release), the call site (the template executed, and
//! the file and offset of the call) and how many times that site has been
//! called before in that template's execution, so the same chart, values
//! and release give the same output every time, whatever order templates
//! run in, and one call's value does not move when another call is added
//! elsewhere.
//!
//! A seed the caller calls public (one anyone can compute, such as the
//! release's name alone) still serves, but functions that make private
//! keys refuse it, and the first call whose value may be a secret (a
//! random password) is remembered so the caller can warn.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use gotmpl::{Site, SiteFunc, Templates, Value};
use sha2::{Digest, Sha256};

use crate::certs;
use crate::{arity, int, text};

const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const DIGITS: &[u8] = b"0123456789";

/// The seed of a render's random functions.
pub struct Seed {
    pub bytes: Vec<u8>,
    /// Set when the seed is not secret: how to give a secret one, for the
    /// message of a function that refuses to make a key from it.
    pub public: Option<String>,
    /// Unix seconds: when certificates start being valid. 0 means the
    /// release has no time, and certificate functions refuse.
    pub time: i64,
}

/// What a function's random bytes become, which decides what a public
/// seed means for it.
#[derive(Clone, Copy, PartialEq)]
enum Draw {
    /// A value that may be a secret (a password): remembered.
    Value,
    /// A private key: refused.
    Key,
    /// A salt, an IV or a serial number: not secret.
    Salt,
}

/// A function of the stream of its call and its arguments.
type Drawing = fn(&mut Stream, &[Value]) -> Result<Value, String>;

/// The deterministic source: the seed and each site's calls so far.
struct Source {
    seed: Seed,
    calls: Mutex<HashMap<Site, u64>>,
    first: Mutex<Option<(&'static str, Site)>>,
}

impl Source {
    /// A stream of bytes for one call at `site`.
    fn stream(&self, site: &Site) -> Stream {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        let count = calls.entry(site.clone()).or_default();
        let mut key = Sha256::new();
        key.update(&self.seed.bytes);
        key.update([0]);
        key.update(site.root.as_bytes());
        key.update([0]);
        key.update(site.file.as_bytes());
        key.update([0]);
        key.update((site.offset as u64).to_le_bytes());
        key.update(count.to_le_bytes());
        *count += 1;
        Stream {
            key: key.finalize().into(),
            block: 0,
            buffer: Vec::new(),
        }
    }
}

/// The random functions of a render, once registered: what they drew.
pub struct Random(Arc<Source>);

impl Random {
    /// Forgets every call, to execute the templates again from the start.
    pub fn reset(&self) {
        self.0
            .calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        *self.0.first.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// With a public seed, the first call whose value may be a secret:
    /// the function's name and its site.
    pub fn first_secret(&self) -> Option<(&'static str, Site)> {
        let first = self.0.first.lock().unwrap_or_else(|e| e.into_inner());
        first.clone()
    }
}

/// Bytes of SHA-256(key, block) for block = 0, 1, ...
struct Stream {
    key: [u8; 32],
    block: u64,
    buffer: Vec<u8>,
}

impl Stream {
    fn byte(&mut self) -> u8 {
        if self.buffer.is_empty() {
            let mut hash = Sha256::new();
            hash.update(self.key);
            hash.update(self.block.to_le_bytes());
            self.block += 1;
            self.buffer = hash.finalize().to_vec();
        }
        self.buffer.pop().unwrap_or_default()
    }

    /// A number below `bound` (> 0), without modulo bias.
    fn below(&mut self, bound: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX % bound);
        loop {
            let mut n = 0u64;
            for _ in 0..8 {
                n = (n << 8) | u64::from(self.byte());
            }
            if n < zone {
                return n % bound;
            }
        }
    }

    fn pick(&mut self, alphabet: &[u8], count: usize) -> String {
        (0..count)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

/// The stream as a random generator, for key generation.
impl rand_core::RngCore for Stream {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }

    fn next_u64(&mut self) -> u64 {
        rand_core::impls::next_u64_via_fill(self)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        dest.iter_mut().for_each(|b| *b = self.byte());
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

/// Its bytes are SHA-256 of a secret key (when the seed is secret).
impl rand_core::CryptoRng for Stream {}

/// Largest count a random string function accepts.
const MAX_COUNT: i64 = 1 << 20;

fn count(name: &str, v: &Value) -> Result<usize, String> {
    let n = int(v);
    if !(0..=MAX_COUNT).contains(&n) {
        return Err(format!("{name}: count {n} is outside 0..{MAX_COUNT}"));
    }
    Ok(n as usize)
}

/// Adds the random, key and certificate functions, seeded by `seed`.
pub fn register(set: &mut Templates, seed: Seed) -> Random {
    let source = Arc::new(Source {
        seed,
        calls: Mutex::new(HashMap::new()),
        first: Mutex::new(None),
    });
    let mut add = |name: &'static str, draw: Draw, f: Drawing| {
        set.func_at(name, drawing(&source, name, draw, f));
    };
    add("randAlphaNum", Draw::Value, |s, a| match a {
        [n] => Ok(Value::String(s.pick(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            count("randAlphaNum", n)?,
        ))),
        _ => Err(arity("randAlphaNum", 1, a.len())),
    });
    add("randAlpha", Draw::Value, |s, a| match a {
        [n] => Ok(Value::String(s.pick(ALPHA, count("randAlpha", n)?))),
        _ => Err(arity("randAlpha", 1, a.len())),
    });
    add("randNumeric", Draw::Value, |s, a| match a {
        [n] => Ok(Value::String(s.pick(DIGITS, count("randNumeric", n)?))),
        _ => Err(arity("randNumeric", 1, a.len())),
    });
    add("randAscii", Draw::Value, |s, a| match a {
        [n] => {
            let printable: Vec<u8> = (32u8..127).collect();
            Ok(Value::String(s.pick(&printable, count("randAscii", n)?)))
        }
        _ => Err(arity("randAscii", 1, a.len())),
    });
    add("randBytes", Draw::Value, |s, a| match a {
        [n] => {
            let bytes: Vec<u8> = (0..count("randBytes", n)?).map(|_| s.byte()).collect();
            Ok(Value::String(
                base64::engine::general_purpose::STANDARD.encode(bytes),
            ))
        }
        _ => Err(arity("randBytes", 1, a.len())),
    });
    add("randInt", Draw::Value, |s, a| match a {
        [min, max] => {
            let (min, max) = (int(min), int(max));
            if max <= min {
                return Err(format!(
                    "randInt: max ({max}) must be greater than min ({min})"
                ));
            }
            let span = (max as i128 - min as i128) as u64;
            Ok(Value::Int(min + s.below(span) as i64))
        }
        _ => Err(arity("randInt", 2, a.len())),
    });
    add("uuidv4", Draw::Value, |s, a| match a {
        [] => {
            let mut b: Vec<u8> = (0..16).map(|_| s.byte()).collect();
            b[6] = (b[6] & 0x0f) | 0x40;
            b[8] = (b[8] & 0x3f) | 0x80;
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            Ok(Value::String(format!(
                "{}-{}-{}-{}-{}",
                &hex[..8],
                &hex[8..12],
                &hex[12..16],
                &hex[16..20],
                &hex[20..]
            )))
        }
        _ => Err(arity("uuidv4", 0, a.len())),
    });
    add("shuffle", Draw::Value, |s, a| match a {
        [v] => {
            let mut chars: Vec<char> = text(v).chars().collect();
            for i in (1..chars.len()).rev() {
                let j = s.below(i as u64 + 1) as usize;
                chars.swap(i, j);
            }
            Ok(Value::String(chars.into_iter().collect()))
        }
        _ => Err(arity("shuffle", 1, a.len())),
    });
    add("bcrypt", Draw::Salt, |s, a| match a {
        [password] => Ok(Value::String(bcrypt_hash(s, &text(password))?)),
        _ => Err(arity("bcrypt", 1, a.len())),
    });
    add("encryptAES", Draw::Salt, |s, a| match a {
        [key, plain] => {
            let iv: [u8; 16] = std::array::from_fn(|_| s.byte());
            Ok(Value::String(crate::crypto::encrypt_aes(
                &text(key),
                &text(plain),
                iv,
            )))
        }
        _ => Err(arity("encryptAES", 2, a.len())),
    });
    add("htpasswd", Draw::Salt, |s, a| {
        let (user, password) = match a {
            [user, password] | [user, password, _] => (text(user), text(password)),
            _ => return Err(arity("htpasswd", 2, a.len())),
        };
        if user.contains(':') {
            return Ok(Value::String(format!("invalid username: {user}")));
        }
        Ok(Value::String(format!(
            "{user}:{}",
            bcrypt_hash(s, &password)?
        )))
    });
    for (name, makes_key, f) in certs::functions() {
        let draw = if makes_key { Draw::Key } else { Draw::Salt };
        let time = source.seed.time;
        set.func_at(
            name,
            drawing(&source, name, draw, move |s, a| f(s, time, a)),
        );
    }
    Random(source)
}

/// The function `name` of `source`: `f` given its call's stream, refused
/// (a private key) or remembered (a value that may be a secret) when the
/// seed is public, as `draw` says.
fn drawing(
    source: &Arc<Source>,
    name: &'static str,
    draw: Draw,
    f: impl Fn(&mut Stream, &[Value]) -> Result<Value, String> + Send + Sync + 'static,
) -> SiteFunc {
    let source = Arc::clone(source);
    Arc::new(move |site: &Site, args: &[Value]| {
        if let Some(hint) = &source.seed.public {
            match draw {
                Draw::Key => return Err(format!("the seed of random values is not secret, so anyone could compute this private key; {hint}")),
                Draw::Value => {
                    // The first site by name, whatever order the templates
                    // ran in.
                    let mut first = source.first.lock().unwrap_or_else(|e| e.into_inner());
                    if first.as_ref().is_none_or(|(_, at)| site < at) {
                        *first = Some((name, site.clone()));
                    }
                }
                Draw::Salt => {}
            }
        }
        f(&mut source.stream(site), args)
    })
}

/// bcrypt of `password` at Go's default cost (10), `$2a$`, the salt from `s`.
fn bcrypt_hash(s: &mut Stream, password: &str) -> Result<String, String> {
    let salt: [u8; 16] = std::array::from_fn(|_| s.byte());
    Ok(bcrypt::hash_with_salt(password.as_bytes(), 10, salt)
        .map_err(|e| e.to_string())?
        .format_for_version(bcrypt::Version::TwoA))
}

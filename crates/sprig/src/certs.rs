//! sprig's key and certificate functions: `genPrivateKey`, `genCA`,
//! `genCAWithKey`, `genSelfSignedCert`, `genSelfSignedCertWithKey`,
//! `genSignedCert`, `genSignedCertWithKey` and `buildCustomCert`, making
//! the certificates Go's `x509.CreateCertificate` makes from sprig's
//! templates (the same fields, extensions and encodings; a CA's subject key
//! identifier is the first 160 bits of SHA-256 of its public key, as Go
//! 1.25 computes it).
//!
//! Keys and serial numbers come from the call's stream of
//! [`crate::random`], so a release always gets the same keys; signatures
//! are deterministic (RSA PKCS#1 v1.5, Ed25519, and ECDSA with RFC 6979
//! nonces where Go's are random). A certificate is valid from the release's
//! time, never the clock.

use std::net::IpAddr;
use std::time::Duration;

use der::asn1::{BitString, GeneralizedTime, Ia5String, OctetString, SetOfVec, UtcTime};
use der::oid::db::{rfc4519, rfc5280, rfc5912, rfc8410};
use der::oid::AssociatedOid;
use der::pem::LineEnding;
use der::{Any, DateTime, Decode, Encode, EncodePem, Tag};
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use ed25519_dalek::Signer as _;
use gotmpl::{Object, Value};
use rsa::pkcs1::{DecodeRsaPrivateKey as _, EncodeRsaPrivateKey as _};
use rsa::pkcs8::EncodePublicKey as _;
use rsa::signature::SignatureEncoding as _;
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::{der, spki, Certificate, TbsCertificate};

use crate::{arity, int, text};

/// What the functions here give: a value, or a message.
type Result<T = Value> = std::result::Result<T, String>;

/// The random bytes a function draws (the call's stream of
/// [`crate::random`], deterministic).
type Rng<'a> = &'a mut dyn rand_core::CryptoRngCore;

/// A function of its call's random bytes, the release's time (Unix
/// seconds; 0 when it has none) and its arguments.
pub(crate) type Made = fn(Rng, i64, &[Value]) -> Result;

/// The functions, each with whether it makes a private key (which
/// [`crate::random`] refuses when its seed is not secret).
pub(crate) fn functions() -> Vec<(&'static str, bool, Made)> {
    let mut all: Vec<(&'static str, bool, Made)> = Vec::new();
    let mut add = |name, makes_key, f: Made| all.push((name, makes_key, f));
    add("genPrivateKey", true, |s, _, a| match a {
        [kind] => {
            let kind = text(kind);
            Ok(Value::String(match Key::generate(&kind, s) {
                Some(Ok(key)) => key.pem(),
                Some(Err(e)) => format!("failed to generate private key: {e}"),
                None => format!("Unknown type {kind}"),
            }))
        }
        _ => Err(arity("genPrivateKey", 1, a.len())),
    });
    add("genCA", true, |s, now, a| match a {
        [cn, days] => {
            let key = rsa_key(s, 2048)?;
            self_signed(s, now, ca(cn, days), key)
        }
        _ => Err(arity("genCA", 2, a.len())),
    });
    add("genCAWithKey", false, |s, now, a| match a {
        [cn, days, key] => self_signed(s, now, ca(cn, days), given_key(key)?),
        _ => Err(arity("genCAWithKey", 3, a.len())),
    });
    add("genSelfSignedCert", true, |s, now, a| match a {
        [cn, ips, dns, days] => {
            let template = leaf("genSelfSignedCert", cn, ips, dns, days)?;
            let key = rsa_key(s, 2048)?;
            self_signed(s, now, template, key)
        }
        _ => Err(arity("genSelfSignedCert", 4, a.len())),
    });
    add("genSelfSignedCertWithKey", false, |s, now, a| match a {
        [cn, ips, dns, days, key] => {
            let template = leaf("genSelfSignedCertWithKey", cn, ips, dns, days)?;
            self_signed(s, now, template, given_key(key)?)
        }
        _ => Err(arity("genSelfSignedCertWithKey", 5, a.len())),
    });
    add("genSignedCert", true, |s, now, a| match a {
        [cn, ips, dns, days, ca] => {
            let template = leaf("genSignedCert", cn, ips, dns, days)?;
            let key = rsa_key(s, 2048)?;
            signed(s, now, template, key, "genSignedCert", ca)
        }
        _ => Err(arity("genSignedCert", 5, a.len())),
    });
    add("genSignedCertWithKey", false, |s, now, a| match a {
        [cn, ips, dns, days, ca, key] => {
            let template = leaf("genSignedCertWithKey", cn, ips, dns, days)?;
            signed(
                s,
                now,
                template,
                given_key(key)?,
                "genSignedCertWithKey",
                ca,
            )
        }
        _ => Err(arity("genSignedCertWithKey", 6, a.len())),
    });
    add("buildCustomCert", false, |_, _, a| match a {
        [cert, key] => build_custom(&text(cert), &text(key)),
        _ => Err(arity("buildCustomCert", 2, a.len())),
    });
    all
}

/// sprig's CA template.
fn ca(cn: &Value, days: &Value) -> Template {
    Template {
        common_name: text(cn),
        ips: Vec::new(),
        dns: Vec::new(),
        days: int(days),
        role: Role::Ca,
    }
}

/// sprig's leaf template, from the IP and DNS lists of a call.
fn leaf(function: &str, cn: &Value, ips: &Value, dns: &Value, days: &Value) -> Result<Template> {
    let strings = |v: &Value, what: &str| -> Result<Vec<String>> {
        match v.plain() {
            Value::Nil => Ok(Vec::new()),
            Value::List(items) => items
                .iter()
                .map(|item| match item.plain() {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(format!(
                        "error parsing {what}: {} is not a string",
                        other.go_string()
                    )),
                })
                .collect(),
            other => Err(format!(
                "{function}: the {what}s must be a list of strings, got {}",
                other.type_name()
            )),
        }
    };
    let ips = strings(ips, "ip")?
        .iter()
        .map(|ip| {
            ip.parse::<IpAddr>()
                .map_err(|_| format!("error parsing ip: {ip}"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Template {
        common_name: text(cn),
        ips,
        dns: strings(dns, "alternate dns name")?,
        days: int(days),
        role: Role::Leaf,
    })
}

/// A key given to a `WithKey` function, as PEM.
fn given_key(pem: &Value) -> Result<Key> {
    Key::parse(&text(pem)).map_err(|e| format!("parsing private key: {e}"))
}

/// The release's time, which certificates start from.
fn valid_from(now: i64) -> Result<i64> {
    if now <= 0 {
        return Err("certificates start at the release's time, and this release has none (it is 1970-01-01): the certificate would have expired long ago; give the release a time (cleat: SOURCE_DATE_EPOCH)".to_string());
    }
    Ok(now)
}

/// A certificate for `key` signed by itself.
fn self_signed(s: Rng, now: i64, template: Template, key: Key) -> Result<Value> {
    let now = valid_from(now)?;
    let issuer = Issuer {
        cert: None,
        key: &key,
    };
    let cert = certificate(&template, &key, &issuer, now, s)?;
    Ok(value(cert, key.pem()))
}

/// A certificate for `key` signed by the certificate value `ca`.
fn signed(
    s: Rng,
    now: i64,
    template: Template,
    key: Key,
    function: &str,
    ca: &Value,
) -> Result<Value> {
    let now = valid_from(now)?;
    let (ca_cert, ca_key) = parts(function, ca)?;
    let ca_cert = parse_certificate(&ca_cert)?;
    let ca_key = Key::parse(&ca_key).map_err(|e| format!("error parsing private key: {e}"))?;
    let issuer = Issuer {
        cert: Some(&ca_cert),
        key: &ca_key,
    };
    let cert = certificate(&template, &key, &issuer, now, s)?;
    Ok(value(cert, key.pem()))
}

/// A private key of a type sprig makes or reads.
pub enum Key {
    Rsa(Box<rsa::RsaPrivateKey>),
    Ec(p256::SecretKey),
    Ed(Box<ed25519_dalek::SigningKey>),
    Dsa(Box<dsa::SigningKey>),
}

impl Key {
    /// `genPrivateKey TYPE`'s key: RSA 4096, DSA L2048N256, ECDSA P-256 or
    /// Ed25519; `None` for another type.
    pub fn generate(kind: &str, mut rng: Rng) -> Option<Result<Key>> {
        Some(match kind {
            "" | "rsa" => rsa_key(rng, 4096),
            "dsa" => {
                let components = dsa::Components::generate(&mut rng, dsa::KeySize::DSA_2048_256);
                Ok(Key::Dsa(Box::new(dsa::SigningKey::generate(
                    &mut rng, components,
                ))))
            }
            "ecdsa" => Ok(Key::Ec(p256::SecretKey::random(&mut rng))),
            "ed25519" => Ok(Key::Ed(Box::new(ed25519_dalek::SigningKey::generate(
                &mut rng,
            )))),
            _ => return None,
        })
    }

    /// A key from its PEM text, as sprig's `parsePrivateKeyPEM` reads it.
    pub fn parse(text: &str) -> Result<Key> {
        let (label, der) = pem_block(text).ok_or("no PEM data in input")?;
        if label == "PRIVATE KEY" {
            return pkcs8_key(&der).map_err(|e| format!("decoding PEM as PKCS#8: {e}"));
        }
        let Some(kind) = label.strip_suffix(" PRIVATE KEY") else {
            return Err(format!("no private key data in PEM block of type {label}"));
        };
        match kind {
            "RSA" => rsa::RsaPrivateKey::from_pkcs1_der(&der)
                .map(|k| Key::Rsa(Box::new(k)))
                .map_err(|e| format!("parsing RSA private key from PEM: {e}")),
            "EC" => p256::SecretKey::from_sec1_der(&der)
                .map(Key::Ec)
                .map_err(|_| {
                    "parsing EC private key from PEM: not a P-256 key in SEC 1 form".to_string()
                }),
            "DSA" => dsa_key(&der).map_err(|e| format!("parsing DSA private key from PEM: {e}")),
            _ => Err(format!("invalid private key type {label}")),
        }
    }

    /// The key in PEM, as sprig's `pemBlockForKey` writes it: PKCS#1 for
    /// RSA, SEC 1 for ECDSA, sprig's own sequence for DSA, PKCS#8 else.
    pub fn pem(&self) -> String {
        let pem = match self {
            Key::Rsa(key) => key.to_pkcs1_pem(LineEnding::LF).map(|p| p.to_string()).ok(),
            Key::Ec(key) => {
                // With the curve named, as Go writes it.
                use p256::elliptic_curve::sec1::ToEncodedPoint as _;
                let secret = key.to_bytes();
                let public = key.public_key().to_encoded_point(false);
                let sec1 = sec1::EcPrivateKey {
                    private_key: &secret,
                    parameters: Some(sec1::EcParameters::NamedCurve(p256::NistP256::OID)),
                    public_key: Some(public.as_bytes()),
                };
                armored("EC PRIVATE KEY", sec1.to_der())
            }
            Key::Ed(key) => {
                // Version 1, without the public key, as Go writes it.
                let bytes = ed25519_dalek::pkcs8::KeypairBytes {
                    secret_key: key.to_bytes(),
                    public_key: None,
                };
                bytes
                    .to_pkcs8_pem(LineEnding::LF)
                    .map(|p| p.to_string())
                    .ok()
            }
            Key::Dsa(key) => {
                let components = key.verifying_key().components();
                let numbers = [
                    &dsa::BigUint::default(),
                    components.p(),
                    components.q(),
                    components.g(),
                    key.verifying_key().y(),
                    key.x(),
                ];
                let integers: std::result::Result<Vec<der::asn1::Uint>, _> = numbers
                    .iter()
                    .map(|n| der::asn1::Uint::new(&n.to_bytes_be()))
                    .collect();
                armored("DSA PRIVATE KEY", integers.and_then(|i| i.to_der()))
            }
        };
        pem.unwrap_or_default()
    }

    /// The public key, for a certificate.
    fn public(&self) -> Result<SubjectPublicKeyInfoOwned> {
        let document = match self {
            Key::Rsa(key) => key.to_public_key().to_public_key_der(),
            Key::Ec(key) => key.public_key().to_public_key_der(),
            Key::Ed(key) => key.verifying_key().to_public_key_der(),
            Key::Dsa(_) => {
                return Err("x509: unsupported public key type: *dsa.PublicKey".to_string())
            }
        };
        let document = document.map_err(|e| e.to_string())?;
        SubjectPublicKeyInfoOwned::from_der(document.as_bytes()).map_err(|e| e.to_string())
    }

    /// The algorithm of this key's signatures, as Go chooses it.
    fn algorithm(&self) -> Result<AlgorithmIdentifierOwned> {
        let (oid, parameters) = match self {
            Key::Rsa(_) => (rfc5912::SHA_256_WITH_RSA_ENCRYPTION, Some(Any::null())),
            Key::Ec(_) => (rfc5912::ECDSA_WITH_SHA_256, None),
            Key::Ed(_) => (rfc8410::ID_ED_25519, None),
            Key::Dsa(_) => {
                return Err(
                    "x509: certificate private key does not implement crypto.Signer".to_string(),
                )
            }
        };
        Ok(AlgorithmIdentifierOwned { oid, parameters })
    }

    /// The signature of `message` (see [`Key::algorithm`]).
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            Key::Rsa(key) => {
                let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new((**key).clone());
                rsa::signature::Signer::sign(&signer, message).to_vec()
            }
            Key::Ec(key) => {
                let signer = p256::ecdsa::SigningKey::from(key);
                let signature: p256::ecdsa::Signature =
                    p256::ecdsa::signature::Signer::sign(&signer, message);
                signature.to_der().as_bytes().to_vec()
            }
            Key::Ed(key) => key.sign(message).to_bytes().to_vec(),
            Key::Dsa(_) => Vec::new(),
        }
    }
}

/// DER in a PEM block of `label`.
fn armored(label: &str, der: der::Result<Vec<u8>>) -> Option<String> {
    der.and_then(|der| der::pem::encode_string(label, LineEnding::LF, &der).map_err(Into::into))
        .ok()
}

/// An RSA key of `bits`.
pub fn rsa_key(mut rng: Rng, bits: usize) -> Result<Key> {
    rsa::RsaPrivateKey::new(&mut rng, bits)
        .map(|k| Key::Rsa(Box::new(k)))
        .map_err(|e| format!("error generating rsa key: {e}"))
}

/// The label and bytes of the first PEM block in `text`, as Go's
/// `pem.Decode` finds it (text before it is skipped).
fn pem_block(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start..];
    let end = rest.find("-----END ")?;
    let close = rest[end + 9..].find("-----")? + end + 14;
    let (label, der) = der::pem::decode_vec(&rest.as_bytes()[..close]).ok()?;
    Some((label.to_string(), der))
}

fn pkcs8_key(der: &[u8]) -> Result<Key> {
    let info = rsa::pkcs8::PrivateKeyInfo::from_der(der).map_err(|e| e.to_string())?;
    match info.algorithm.oid {
        rfc5912::RSA_ENCRYPTION => rsa::pkcs8::DecodePrivateKey::from_pkcs8_der(der)
            .map(|k| Key::Rsa(Box::new(k)))
            .map_err(|e| e.to_string()),
        rfc5912::ID_EC_PUBLIC_KEY => p256::pkcs8::DecodePrivateKey::from_pkcs8_der(der)
            .map(Key::Ec)
            .map_err(|_| "x509: unsupported elliptic curve".to_string()),
        rfc8410::ID_ED_25519 => ed25519_dalek::SigningKey::from_pkcs8_der(der)
            .map(|k| Key::Ed(Box::new(k)))
            .map_err(|e| e.to_string()),
        oid => Err(format!(
            "x509: PKCS#8 wrapping contained private key with unknown algorithm: {oid}"
        )),
    }
}

/// sprig's DSA key: a sequence of version, P, Q, G, Y and X.
fn dsa_key(der: &[u8]) -> Result<Key> {
    let numbers: Vec<der::asn1::Uint> = Vec::from_der(der).map_err(|e| e.to_string())?;
    let [_, p, q, g, y, x] = numbers.as_slice() else {
        return Err(format!("expected 6 integers, found {}", numbers.len()));
    };
    let big = |n: &der::asn1::Uint| dsa::BigUint::from_bytes_be(n.as_bytes());
    let components =
        dsa::Components::from_components(big(p), big(q), big(g)).map_err(|e| e.to_string())?;
    let public =
        dsa::VerifyingKey::from_components(components, big(y)).map_err(|e| e.to_string())?;
    dsa::SigningKey::from_components(public, big(x))
        .map(|k| Key::Dsa(Box::new(k)))
        .map_err(|e| e.to_string())
}

/// What a certificate is for: sprig's CA and leaf templates.
#[derive(Clone, Copy, PartialEq)]
pub enum Role {
    Ca,
    Leaf,
}

/// What sprig's `getBaseCertTemplate` takes.
pub struct Template {
    pub common_name: String,
    pub ips: Vec<IpAddr>,
    pub dns: Vec<String>,
    pub days: i64,
    pub role: Role,
}

/// The issuer of a certificate: its certificate (none when self-signed)
/// and key.
pub struct Issuer<'a> {
    pub cert: Option<&'a Certificate>,
    pub key: &'a Key,
}

/// A certificate for `key` made from `template`, signed by `issuer`, valid
/// from `now` (Unix seconds): its PEM.
pub fn certificate(
    template: &Template,
    key: &Key,
    issuer: &Issuer,
    now: i64,
    rng: Rng,
) -> Result<String> {
    let created = |e: String| format!("error creating certificate: {e}");
    // Go asks the signer first, then the key it certifies.
    let algorithm = issuer.key.algorithm().map_err(created)?;
    let public = key.public().map_err(created)?;
    let subject = name(&template.common_name)?;
    let issuer_name = issuer
        .cert
        .map_or_else(|| subject.clone(), |c| c.tbs_certificate.subject.clone());
    let issuer_public = issuer.key.public().map_err(created)?;
    if let Some(parent) = issuer.cert {
        if parent.tbs_certificate.subject_public_key_info != issuer_public {
            return Err(created(
                "x509: provided PrivateKey doesn't match parent's PublicKey".to_string(),
            ));
        }
    }
    let mut serial = [0u8; 16];
    rng.fill_bytes(&mut serial);
    let mut extensions = Vec::new();
    let mut usages = KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment;
    if template.role == Role::Ca {
        usages |= KeyUsages::KeyCertSign;
    }
    extensions.push(extension(&KeyUsage(usages), true)?);
    extensions.push(extension(
        &ExtendedKeyUsage(vec![rfc5280::ID_KP_SERVER_AUTH, rfc5280::ID_KP_CLIENT_AUTH]),
        false,
    )?);
    extensions.push(extension(
        &BasicConstraints {
            ca: template.role == Role::Ca,
            path_len_constraint: None,
        },
        true,
    )?);
    if template.role == Role::Ca {
        let bits = public.subject_public_key.raw_bytes();
        let id = &Sha256::digest(bits)[..20];
        extensions.push(extension(
            &SubjectKeyIdentifier(OctetString::new(id).map_err(|e| e.to_string())?),
            false,
        )?);
    }
    if issuer_name != subject {
        if let Some(id) = issuer.cert.and_then(key_identifier) {
            extensions.push(extension(
                &AuthorityKeyIdentifier {
                    key_identifier: Some(id),
                    authority_cert_issuer: None,
                    authority_cert_serial_number: None,
                },
                false,
            )?);
        }
    }
    let mut names = Vec::new();
    for dns in &template.dns {
        let dns = Ia5String::new(dns)
            .map_err(|_| created(format!("x509: {dns:?} cannot be encoded as an IA5String")))?;
        names.push(GeneralName::DnsName(dns));
    }
    for ip in &template.ips {
        let bytes = match ip {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.octets().to_vec(),
                None => v6.octets().to_vec(),
            },
        };
        names.push(GeneralName::IpAddress(
            OctetString::new(bytes).map_err(|e| e.to_string())?,
        ));
    }
    if !names.is_empty() {
        // Critical when the subject is empty (RFC 5280 4.2.1.6), as Go has it.
        extensions.push(extension(&SubjectAltName(names), subject.0.is_empty())?);
    }
    let tbs = TbsCertificate {
        version: x509_cert::Version::V3,
        serial_number: SerialNumber::new(&serial).map_err(|e| e.to_string())?,
        signature: algorithm.clone(),
        issuer: issuer_name,
        validity: Validity {
            not_before: time(now)?,
            not_after: time(now.saturating_add(template.days.saturating_mul(86_400)))?,
        },
        subject,
        subject_public_key_info: public,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(extensions),
    };
    let body = tbs.to_der().map_err(|e| created(e.to_string()))?;
    let bytes = issuer.key.sign(&body);
    let cert = Certificate {
        tbs_certificate: tbs,
        signature_algorithm: algorithm,
        signature: BitString::from_bytes(&bytes).map_err(|e| e.to_string())?,
    };
    cert.to_pem(LineEnding::LF)
        .map_err(|e| created(e.to_string()))
}

/// The subject key identifier of `cert`, if it has one.
fn key_identifier(cert: &Certificate) -> Option<OctetString> {
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .find(|e| e.extn_id == SubjectKeyIdentifier::OID)
        .and_then(|e| SubjectKeyIdentifier::from_der(e.extn_value.as_bytes()).ok())
        .map(|id| id.0)
}

fn extension<E: AssociatedOid + Encode>(value: &E, critical: bool) -> Result<Extension> {
    let der = value.to_der().map_err(|e| e.to_string())?;
    Ok(Extension {
        extn_id: E::OID,
        critical,
        extn_value: OctetString::new(der).map_err(|e| e.to_string())?,
    })
}

/// A subject of one common name (none when empty), a PrintableString when
/// its characters allow, else UTF8String, as Go's asn1 chooses.
fn name(common_name: &str) -> Result<Name> {
    if common_name.is_empty() {
        return Ok(RdnSequence(Vec::new()));
    }
    let printable = common_name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b));
    let tag = if printable {
        Tag::PrintableString
    } else {
        Tag::Utf8String
    };
    let invalid =
        |e: der::Error| format!("error creating certificate: common name {common_name:?}: {e}");
    let attribute = AttributeTypeAndValue {
        oid: rfc4519::COMMON_NAME,
        value: Any::new(tag, common_name.as_bytes()).map_err(invalid)?,
    };
    let rdn = SetOfVec::try_from(vec![attribute]).map_err(invalid)?;
    Ok(RdnSequence(vec![RelativeDistinguishedName(rdn)]))
}

/// A certificate time: UTCTime before 2050, GeneralizedTime from then, as
/// RFC 5280 and Go have it.
fn time(unix: i64) -> Result<Time> {
    let seconds = u64::try_from(unix).map_err(|_| {
        format!("error creating certificate: a validity date before 1970 ({unix} s)")
    })?;
    let date = DateTime::from_unix_duration(Duration::from_secs(seconds)).map_err(|_| {
        format!("error creating certificate: a validity date after 9999 ({unix} s)")
    })?;
    Ok(if date.year() < 2050 {
        Time::UtcTime(UtcTime::from_date_time(date).map_err(|e| e.to_string())?)
    } else {
        Time::GeneralTime(GeneralizedTime::from_date_time(date))
    })
}

/// sprig's certificate value: `.Cert` and `.Key`, printed as Go prints the
/// struct.
pub fn value(cert: String, key: String) -> Value {
    let shown = format!("{{{cert} {key}}}");
    Value::Object(std::sync::Arc::new(
        Object::new(
            Value::map([("Cert", Value::String(cert)), ("Key", Value::String(key))]),
            Default::default(),
        )
        .shown(shown),
    ))
}

/// The `.Cert` and `.Key` of a certificate value.
pub fn parts(function: &str, v: &Value) -> Result<(String, String)> {
    match v.plain() {
        Value::Map(map) => match (map.get("Cert"), map.get("Key")) {
            (Some(cert), Some(key)) => Ok((text(&cert), text(&key))),
            _ => Err(format!(
                "{function}: the CA must be a certificate (with .Cert and .Key, from genCA or buildCustomCert)"
            )),
        },
        other => Err(format!(
            "wrong type for value; expected sprig.certificate; got {}",
            other.type_name()
        )),
    }
}

/// A certificate from its PEM text.
pub fn parse_certificate(pem: &str) -> Result<Certificate> {
    let (_, der) = pem_block(pem).ok_or("unable to decode certificate")?;
    Certificate::from_der(&der).map_err(|e| format!("error parsing certificate: {e}"))
}

/// `buildCustomCert`: a certificate value from base64 PEMs of a certificate
/// and its key, both checked.
pub fn build_custom(cert: &str, key: &str) -> Result {
    use base64::Engine as _;
    let decode = |s: &str| base64::engine::general_purpose::STANDARD.decode(s.trim());
    let cert = decode(cert).map_err(|_| "unable to decode base64 certificate".to_string())?;
    let key = decode(key).map_err(|_| "unable to decode base64 private key".to_string())?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    parse_certificate(&cert)?;
    Key::parse(&key).map_err(|e| format!("error parsing private key: {e}"))?;
    Ok(value(cert, key))
}

//! `semver` and `semverCompare` with the rules of Masterminds/semver v3,
//! which sprig uses: a `v` prefix and missing minor or patch parts are
//! accepted; constraints join with `,` (and) or `||` (or); operators `=`,
//! `!=`, `>`, `<`, `>=`, `<=`, `~`, `^`, wildcards `x`/`X`/`*`, hyphen ranges;
//! a version with a pre-release satisfies a constraint only if the
//! constraint itself has one (`>=1.19-0` lets `1.20.0-gke.1` match).

use std::cmp::Ordering;

use gotmpl::Value;

use crate::{arity, text};

type Result = std::result::Result<Value, String>;

pub fn register(add: &mut impl FnMut(&str, fn(&[Value]) -> Result)) {
    add("semverCompare", |a| match a {
        [constraint, version] => {
            let version = Version::parse(&text(version))
                .ok_or_else(|| "Invalid Semantic Version".to_string())?;
            let constraint = Constraint::parse(&text(constraint))?;
            Ok(Value::Bool(constraint.matches(&version)))
        }
        _ => Err(arity("semverCompare", 2, a.len())),
    });
    add("semver", |a| match a {
        [version] => {
            let v = Version::parse(&text(version))
                .ok_or_else(|| "Invalid Semantic Version".to_string())?;
            Ok(Value::map([
                ("Major", Value::Int(v.major as i64)),
                ("Minor", Value::Int(v.minor as i64)),
                ("Patch", Value::Int(v.patch as i64)),
                ("Prerelease", Value::from(v.pre.as_str())),
                ("Metadata", Value::from(v.metadata.as_str())),
                ("Original", Value::from(text(version))),
            ]))
        }
        _ => Err(arity("semver", 1, a.len())),
    });
}

/// Whether `version` satisfies `constraint`, by Masterminds' rules (Helm
/// matches chart dependencies with them); a bad constraint or version is
/// an error.
pub fn satisfies(constraint: &str, version: &str) -> std::result::Result<bool, String> {
    let version =
        Version::parse(version).ok_or_else(|| format!("`{version}` is not a semantic version"))?;
    Ok(Constraint::parse(constraint)?.matches(&version))
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
}

impl Version {
    fn parse(text: &str) -> Option<Version> {
        let text = text.trim().strip_prefix('v').unwrap_or(text.trim());
        let (text, metadata) = text.split_once('+').unwrap_or((text, ""));
        let (core, pre) = text.split_once('-').unwrap_or((text, ""));
        let mut parts = core.split('.');
        let number = |part: Option<&str>| -> Option<u64> {
            match part {
                None => Some(0),
                Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse().ok(),
                Some(_) => None,
            }
        };
        let major = number(Some(parts.next()?))?;
        let minor = number(parts.next())?;
        let patch = number(parts.next())?;
        if parts.next().is_some() {
            return None;
        }
        Some(Version {
            major,
            minor,
            patch,
            pre: pre.to_string(),
            metadata: metadata.to_string(),
        })
    }

    fn cmp(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| compare_pre(&self.pre, &other.pre))
    }
}

/// Pre-release order: none is higher than any; identifiers compare
/// numerically when both are numbers, else as text.
fn compare_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (mut left, mut right) = (a.split('.'), b.split('.'));
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    _ => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

/// One comparison: operator, version, and which parts were wildcards.
#[derive(Debug)]
struct Check {
    op: String,
    version: Version,
    /// How many leading parts were written (1: `1`, 2: `1.2`, 3: `1.2.3`);
    /// the rest are wildcards.
    given: usize,
}

#[derive(Debug)]
struct Constraint {
    /// Alternatives (`||`), each all of its checks (`,` or spaces).
    any: Vec<Vec<Check>>,
}

impl Constraint {
    fn parse(text: &str) -> std::result::Result<Constraint, String> {
        let mut any = Vec::new();
        for alternative in text.split("||") {
            let mut all = Vec::new();
            let alternative = alternative.trim();
            // A hyphen range: `1.2 - 1.4.5`.
            if let Some((low, high)) = alternative.split_once(" - ") {
                all.push(check(">=", low.trim())?);
                all.push(check("<=", high.trim())?);
                any.push(all);
                continue;
            }
            // An operator may stand apart from its version: `>= 1.27`.
            let mut parts: Vec<String> = Vec::new();
            let mut pending = String::new();
            for part in alternative
                .split([',', ' '])
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                if part.chars().all(|c| "<>=!~^".contains(c)) {
                    pending.push_str(part);
                } else {
                    parts.push(format!("{}{part}", std::mem::take(&mut pending)));
                }
            }
            if !pending.is_empty() {
                return Err(format!("improper constraint: {text}"));
            }
            for part in &parts {
                let split = part
                    .find(|c: char| c.is_ascii_alphanumeric() || c == '*')
                    .unwrap_or(part.len());
                let (op, version) = part.split_at(split);
                all.push(check(op.trim(), version.trim())?);
            }
            any.push(all);
        }
        Ok(Constraint { any })
    }

    fn matches(&self, version: &Version) -> bool {
        self.any.iter().any(|all| {
            // A pre-release matches only where the constraint names one.
            if !version.pre.is_empty() && !all.iter().any(|c| !c.version.pre.is_empty()) {
                return false;
            }
            all.iter().all(|c| c.matches(version))
        })
    }
}

fn check(op: &str, text: &str) -> std::result::Result<Check, String> {
    let bare = text.strip_prefix('v').unwrap_or(text);
    let core = bare.split(['-', '+']).next().unwrap_or(bare);
    let parts: Vec<&str> = core.split('.').collect();
    let given = parts
        .iter()
        .take_while(|p| !matches!(**p, "x" | "X" | "*" | ""))
        .count();
    let concrete: Vec<&str> = parts.iter().take(given).copied().collect();
    let rest = &bare[core.len()..];
    let written = if concrete.is_empty() {
        "0".to_string()
    } else {
        concrete.join(".")
    };
    let version = Version::parse(&format!("{written}{rest}"))
        .ok_or_else(|| format!("improper constraint: {op}{text}"))?;
    Ok(Check {
        op: op.to_string(),
        version,
        given,
    })
}

impl Check {
    fn matches(&self, v: &Version) -> bool {
        let c = &self.version;
        let order = v.cmp(c);
        // Wildcards: `1.2.x` is `>=1.2.0, <1.3.0`.
        let upper = |level: usize| -> Version {
            let mut u = Version {
                major: c.major,
                minor: c.minor,
                patch: 0,
                pre: String::new(),
                metadata: String::new(),
            };
            match level {
                0 => u.major = u64::MAX,
                1 => {
                    u.major += 1;
                    u.minor = 0;
                }
                _ => u.minor += 1,
            }
            u
        };
        let within =
            |level: usize| order != Ordering::Less && v.cmp(&upper(level)) == Ordering::Less;
        match self.op.as_str() {
            "" | "=" | "==" if self.given < 3 => within(self.given),
            "" | "=" | "==" => order == Ordering::Equal,
            "!=" if self.given < 3 => !within(self.given),
            "!=" => order != Ordering::Equal,
            ">" if self.given < 3 => v.cmp(&upper(self.given)) != Ordering::Less,
            ">" => order == Ordering::Greater,
            ">=" | "=>" => order != Ordering::Less,
            "<" => order == Ordering::Less,
            "<=" | "=<" if self.given < 3 => v.cmp(&upper(self.given)) == Ordering::Less,
            "<=" | "=<" => order != Ordering::Greater,
            "~" | "~>" => {
                // `~1.2.3` is `>=1.2.3, <1.3.0`; `~1` is `>=1, <2`.
                let level = if self.given <= 1 { 1 } else { 2 };
                within(level)
            }
            "^" => {
                // `^1.2.3` is `<2.0.0`; `^0.2.3` is `<0.3.0`; `^0.0.3` is `<0.0.4`.
                let end = if c.major > 0 || self.given == 1 {
                    upper(1)
                } else if c.minor > 0 || self.given == 2 {
                    upper(2)
                } else {
                    Version {
                        patch: c.patch + 1,
                        pre: String::new(),
                        metadata: String::new(),
                        ..c.clone()
                    }
                };
                order != Ordering::Less && v.cmp(&end) == Ordering::Less
            }
            _ => false,
        }
    }
}

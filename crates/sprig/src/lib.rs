//! The sprig v3 functions Helm registers, for [`gotmpl`]: strings, lists,
//! dicts, defaults and math, with sprig's conversions (`toString` is `%v`,
//! numbers become `int64` with floats truncated, as `cast` does).
//!
//! This is the first part of the library: string, list, dict, default and
//! integer math functions, and ([`encoding`]) base64, sha256, JSON and
//! regular expressions, and ([`semver`]) Masterminds' version constraints;
//! `set`, `unset`, `merge` change dicts in place, as sprig's do. Not here
//! yet: crypto, random, dates; a template that calls one fails to parse,
//! naming it.

mod certs;
mod crypto;
mod encoding;
pub mod helm;
mod paths;
pub mod random;
pub mod semver;
mod strings;
pub mod time;

use std::collections::BTreeMap;
use std::sync::Arc;

use gotmpl::{Templates, Value};

type Result = std::result::Result<Value, String>;

/// Adds the functions to `set`.
pub fn register(set: &mut Templates) {
    let mut add = |name: &str, f: fn(&[Value]) -> Result| set.func(name, Arc::new(f));
    // Strings.
    add("upper", |a| string1(a, |s| s.to_uppercase()));
    add("lower", |a| string1(a, |s| s.to_lowercase()));
    add("title", |a| string1(a, title));
    add("trim", |a| string1(a, |s| s.trim().to_string()));
    add("trimAll", |a| {
        string2(a, |cut, s| s.trim_matches(|c| cut.contains(c)).to_string())
    });
    add("trimPrefix", |a| {
        string2(a, |p, s| s.strip_prefix(p).unwrap_or(s).to_string())
    });
    add("trimSuffix", |a| {
        string2(a, |p, s| s.strip_suffix(p).unwrap_or(s).to_string())
    });
    add("contains", |a| bool2(a, |sub, s| s.contains(sub)));
    add("hasPrefix", |a| bool2(a, |p, s| s.starts_with(p)));
    add("hasSuffix", |a| bool2(a, |p, s| s.ends_with(p)));
    add("replace", |a| match a {
        [old, new, s] => Ok(Value::String(text(s).replace(&text(old), &text(new)))),
        _ => Err(arity("replace", 3, a.len())),
    });
    add("repeat", |a| match a {
        [count, s] => {
            let (count, s) = (usize::try_from(int(count)).unwrap_or(0), text(s));
            if count.saturating_mul(s.len()) > gotmpl::MAX_TEXT {
                return Err(format!(
                    "repeat {count} times of {} bytes is more than {} MiB",
                    s.len(),
                    gotmpl::MAX_TEXT >> 20
                ));
            }
            Ok(Value::String(s.repeat(count)))
        }
        _ => Err(arity("repeat", 2, a.len())),
    });
    add("substr", |a| match a {
        [start, end, s] => Ok(Value::String(substr(int(start), int(end), &text(s)))),
        _ => Err(arity("substr", 3, a.len())),
    });
    add("trunc", |a| match a {
        [count, s] => Ok(Value::String(trunc(int(count), &text(s)))),
        _ => Err(arity("trunc", 2, a.len())),
    });
    add("indent", |a| match a {
        [spaces, s] => Ok(Value::String(indent(int(spaces), &text(s)))),
        _ => Err(arity("indent", 2, a.len())),
    });
    add("nindent", |a| match a {
        [spaces, s] => Ok(Value::String(format!(
            "\n{}",
            indent(int(spaces), &text(s))
        ))),
        _ => Err(arity("nindent", 2, a.len())),
    });
    add("quote", |a| {
        Ok(Value::String(joined(a, |s| gotmpl::value::go_quote(&s))))
    });
    add("squote", |a| {
        Ok(Value::String(joined(a, |s| format!("'{s}'"))))
    });
    add("cat", |a| Ok(Value::String(joined(a, |s| s))));
    add("toString", |a| match a {
        [v] => Ok(Value::String(text(v))),
        _ => Err(arity("toString", 1, a.len())),
    });
    add("join", |a| match a {
        [sep, Value::List(items)] => Ok(Value::String(
            items.iter().map(text).collect::<Vec<_>>().join(&text(sep)),
        )),
        [_, other] => Ok(Value::String(text(other))),
        _ => Err(arity("join", 2, a.len())),
    });
    add("splitList", |a| match a {
        [sep, s] => Ok(Value::List(
            text(s).split(text(sep).as_str()).map(Value::from).collect(),
        )),
        _ => Err(arity("splitList", 2, a.len())),
    });
    add("split", |a| match a {
        [sep, s] => Ok(Value::Map(
            text(s)
                .split(text(sep).as_str())
                .enumerate()
                .map(|(i, p)| (format!("_{i}"), Value::from(p)))
                .collect(),
        )),
        _ => Err(arity("split", 2, a.len())),
    });
    // Defaults and flow.
    add("default", |a| match a {
        [fallback] => Ok(fallback.clone()),
        [fallback, given, ..] => Ok(if empty(given) {
            fallback.clone()
        } else {
            given.clone()
        }),
        _ => Err(arity("default", 2, a.len())),
    });
    add("empty", |a| match a {
        [v] => Ok(Value::Bool(empty(v))),
        _ => Err(arity("empty", 1, a.len())),
    });
    add("coalesce", |a| {
        Ok(a.iter().find(|v| !empty(v)).cloned().unwrap_or_default())
    });
    add("ternary", |a| match a {
        [yes, no, Value::Bool(condition)] => Ok(if *condition { yes.clone() } else { no.clone() }),
        [_, _, other] => Err(format!(
            "wrong type for value; expected bool; got {}",
            other.type_name()
        )),
        _ => Err(arity("ternary", 3, a.len())),
    });
    // Lists.
    add("list", |a| Ok(Value::List(a.to_vec())));
    add("first", |a| {
        list1(a, "first", |l| l.first().cloned().unwrap_or_default())
    });
    add("last", |a| {
        list1(a, "last", |l| l.last().cloned().unwrap_or_default())
    });
    add("rest", |a| {
        list1(a, "rest", |l| {
            Value::List(l.iter().skip(1).cloned().collect())
        })
    });
    add("initial", |a| {
        list1(a, "initial", |l| {
            Value::List(l[..l.len().saturating_sub(1)].to_vec())
        })
    });
    add("reverse", |a| {
        list1(a, "reverse", |l| {
            Value::List(l.iter().rev().cloned().collect())
        })
    });
    add("uniq", |a| {
        list1(a, "uniq", |l| {
            let mut out: Vec<Value> = Vec::new();
            for item in l {
                if !out.contains(item) {
                    out.push(item.clone());
                }
            }
            Value::List(out)
        })
    });
    add("compact", |a| {
        list1(a, "compact", |l| {
            Value::List(l.iter().filter(|v| !empty(v)).cloned().collect())
        })
    });
    add("sortAlpha", |a| {
        list1(a, "sortAlpha", |l| {
            let mut texts: Vec<String> = l.iter().map(text).collect();
            texts.sort();
            Value::List(texts.into_iter().map(Value::String).collect())
        })
    });
    add("append", append);
    add("push", append);
    add("prepend", |a| match a {
        [Value::List(l), v] => Ok(Value::List(
            std::iter::once(v.clone())
                .chain(l.iter().cloned())
                .collect(),
        )),
        [other, _] => Err(format!("Cannot prepend on type {}", other.type_name())),
        _ => Err(arity("prepend", 2, a.len())),
    });
    add("has", |a| match a {
        [needle, Value::List(l)] => Ok(Value::Bool(l.contains(needle))),
        [_, Value::Nil] => Ok(Value::Bool(false)),
        [_, other] => Err(format!("Cannot find has on type {}", other.type_name())),
        _ => Err(arity("has", 2, a.len())),
    });
    add("without", |a| match a.split_first() {
        Some((Value::List(l), out)) => Ok(Value::List(
            l.iter().filter(|v| !out.contains(v)).cloned().collect(),
        )),
        Some((other, _)) => Err(format!("Cannot find without on type {}", other.type_name())),
        None => Err(arity("without", 1, 0)),
    });
    add("concat", |a| {
        let mut out = Vec::new();
        for list in a {
            match list {
                Value::List(l) => out.extend(l.iter().cloned()),
                other => return Err(format!("Cannot concat type {} as list", other.type_name())),
            }
        }
        Ok(Value::List(out))
    });
    // Dicts.
    add("dict", |a| {
        let mut map = BTreeMap::new();
        for pair in a.chunks(2) {
            let value = pair.get(1).cloned().unwrap_or_else(|| Value::from(""));
            map.insert(text(&pair[0]), value);
        }
        Ok(Value::Map(map.into_iter().collect()))
    });
    add("get", |a| match a {
        [Value::Map(m), key] => Ok(m.get(&text(key)).unwrap_or_else(|| Value::from(""))),
        _ => Err(arity("get", 2, a.len())),
    });
    add("hasKey", |a| match a {
        [Value::Map(m), key] => Ok(Value::Bool(m.contains_key(&text(key)))),
        _ => Err(arity("hasKey", 2, a.len())),
    });
    // Go ranges over maps in no order; sorted here, so renders are stable.
    add("keys", |a| {
        let mut keys: Vec<Value> = Vec::new();
        for dict in a {
            if let Value::Map(m) = dict {
                keys.extend(m.entries().into_iter().map(|(k, _)| Value::String(k)));
            }
        }
        Ok(Value::List(keys))
    });
    add("values", |a| match a {
        [Value::Map(m)] => Ok(Value::List(
            m.entries().into_iter().map(|(_, v)| v).collect(),
        )),
        _ => Err(arity("values", 1, a.len())),
    });
    add("pluck", |a| match a.split_first() {
        Some((key, dicts)) => Ok(Value::List(
            dicts
                .iter()
                .filter_map(|d| match d {
                    Value::Map(m) => m.get(&text(key)),
                    _ => None,
                })
                .collect(),
        )),
        None => Err(arity("pluck", 1, 0)),
    });
    // Math, in int64 as sprig does (floats truncated).
    add("add", |a| {
        Ok(Value::Int(a.iter().map(int).fold(0i64, i64::wrapping_add)))
    });
    add("add1", |a| match a {
        [v] => Ok(Value::Int(int(v).wrapping_add(1))),
        _ => Err(arity("add1", 1, a.len())),
    });
    add("sub", |a| match a {
        [x, y] => Ok(Value::Int(int(x).wrapping_sub(int(y)))),
        _ => Err(arity("sub", 2, a.len())),
    });
    add("mul", |a| {
        Ok(Value::Int(a.iter().map(int).fold(1i64, i64::wrapping_mul)))
    });
    add("div", |a| match a {
        [x, y] => match int(y) {
            0 => Err("runtime error: integer divide by zero".into()),
            d => Ok(Value::Int(int(x).wrapping_div(d))),
        },
        _ => Err(arity("div", 2, a.len())),
    });
    add("mod", |a| match a {
        [x, y] => match int(y) {
            0 => Err("runtime error: integer divide by zero".into()),
            d => Ok(Value::Int(int(x).wrapping_rem(d))),
        },
        _ => Err(arity("mod", 2, a.len())),
    });
    add("max", |a| {
        Ok(Value::Int(a.iter().map(int).max().unwrap_or(0)))
    });
    add("min", |a| {
        Ok(Value::Int(a.iter().map(int).min().unwrap_or(0)))
    });
    add("int", |a| number1(a, "int", |v| Value::Int(int(v))));
    add("int64", |a| number1(a, "int64", |v| Value::Int(int(v))));
    add("float64", |a| {
        number1(a, "float64", |v| Value::Float(float(v)))
    });
    add("floor", |a| {
        number1(a, "floor", |v| Value::Float(float(v).floor()))
    });
    add("ceil", |a| {
        number1(a, "ceil", |v| Value::Float(float(v).ceil()))
    });
    // Float math, in float64.
    add("addf", |a| Ok(Value::Float(a.iter().map(float).sum())));
    add("subf", |a| match a.split_first() {
        Some((first, rest)) => Ok(Value::Float(
            rest.iter().fold(float(first), |acc, v| acc - float(v)),
        )),
        None => Ok(Value::Float(0.0)),
    });
    add("mulf", |a| Ok(Value::Float(a.iter().map(float).product())));
    add("divf", |a| match a.split_first() {
        Some((first, rest)) => Ok(Value::Float(
            rest.iter().fold(float(first), |acc, v| acc / float(v)),
        )),
        None => Ok(Value::Float(0.0)),
    });
    add("maxf", |a| {
        Ok(Value::Float(
            a.iter().map(float).fold(f64::NEG_INFINITY, f64::max),
        ))
    });
    add("minf", |a| {
        Ok(Value::Float(
            a.iter().map(float).fold(f64::INFINITY, f64::min),
        ))
    });
    add("round", |a| match a {
        [v, places, ..] => {
            let factor = 10f64.powi(i32::try_from(int(places)).unwrap_or(0));
            Ok(Value::Float((float(v) * factor).round() / factor))
        }
        _ => Err(arity("round", 2, a.len())),
    });
    add("atoi", |a| {
        string1(a, |s| s.to_string()).map(|s| Value::Int(text(&s).parse().unwrap_or(0)))
    });
    // Dicts changed in place, as sprig's are (maps are shared, as Go's).
    add("set", |a| match a {
        [Value::Map(d), key, value] => {
            d.insert(text(key), value.clone());
            Ok(Value::Map(d.clone()))
        }
        _ => Err(arity("set", 3, a.len())),
    });
    add("unset", |a| match a {
        [Value::Map(d), key] => {
            d.remove(&text(key));
            Ok(Value::Map(d.clone()))
        }
        _ => Err(arity("unset", 2, a.len())),
    });
    add("merge", |a| merge(a, false));
    add("mergeOverwrite", |a| merge(a, true));
    add("deepCopy", |a| match a {
        [v] => Ok(deep_copy(v)),
        _ => Err(arity("deepCopy", 1, a.len())),
    });
    add("pick", |a| keys_of(a, "pick", true));
    add("omit", |a| keys_of(a, "omit", false));
    add("dig", |a| {
        let [keys @ .., fallback, Value::Map(d)] = a else {
            return Err("dig needs keys, a default and a dict".into());
        };
        let mut current = Value::Map(d.clone());
        for key in keys {
            current = match current {
                Value::Map(m) => match m.get(&text(key)) {
                    Some(v) => v,
                    None => return Ok(fallback.clone()),
                },
                _ => return Ok(fallback.clone()),
            };
        }
        Ok(current)
    });
    add("nospace", |a| {
        string1(a, |s| s.chars().filter(|c| !c.is_whitespace()).collect())
    });
    add("plural", |a| match a {
        [one, many, count] => Ok(if int(count) == 1 {
            one.clone()
        } else {
            many.clone()
        }),
        _ => Err(arity("plural", 3, a.len())),
    });
    add("until", |a| match a {
        [n] => steps(0, int(n), if int(n) < 0 { -1 } else { 1 }),
        _ => Err(arity("until", 1, a.len())),
    });
    add("untilStep", |a| match a {
        [start, stop, step] => steps(int(start), int(stop), int(step)),
        _ => Err(arity("untilStep", 3, a.len())),
    });
    add("toStrings", |a| match a {
        [Value::List(l)] => Ok(Value::List(
            l.iter().map(|v| Value::String(text(v))).collect(),
        )),
        [other] => Ok(Value::List(vec![Value::String(text(other))])),
        _ => Err(arity("toStrings", 1, a.len())),
    });
    add("typeOf", |a| match a {
        [Value::Nil] => Ok(Value::from("<nil>")),
        [v] => Ok(Value::from(v.type_name())),
        _ => Err(arity("typeOf", 1, a.len())),
    });
    add("kindOf", |a| match a {
        [v] => Ok(Value::from(kind(v))),
        _ => Err(arity("kindOf", 1, a.len())),
    });
    add("kindIs", |a| match a {
        [k, v] => Ok(Value::Bool(text(k) == kind(v))),
        _ => Err(arity("kindIs", 2, a.len())),
    });
    add("typeIs", |a| match a {
        [t, v] => Ok(Value::Bool(text(t) == v.type_name())),
        _ => Err(arity("typeIs", 2, a.len())),
    });
    add("tuple", |a| Ok(Value::List(a.to_vec())));
    add("all", |a| Ok(Value::Bool(a.iter().all(|v| !empty(v)))));
    add("any", |a| Ok(Value::Bool(a.iter().any(|v| !empty(v)))));
    add("biggest", |a| {
        Ok(Value::Int(a.iter().map(int).max().unwrap_or(0)))
    });
    add("add1f", |a| match a {
        [v] => Ok(Value::Float(float(v) + 1.0)),
        _ => Err(arity("add1f", 1, a.len())),
    });
    // An octal number (as text) in decimal; 0 when it is not one.
    add("toDecimal", |a| match a {
        [v] => Ok(Value::Int(i64::from_str_radix(&text(v), 8).unwrap_or(0))),
        _ => Err(arity("toDecimal", 1, a.len())),
    });
    add("seq", seq);
    add("deepEqual", |a| match a {
        [x, y] => Ok(Value::Bool(x == y)),
        _ => Err(arity("deepEqual", 2, a.len())),
    });
    add("typeIsLike", |a| match a {
        [t, v] => {
            let (wanted, actual) = (text(t), v.type_name());
            Ok(Value::Bool(
                wanted == actual || format!("*{wanted}") == actual,
            ))
        }
        _ => Err(arity("typeIsLike", 2, a.len())),
    });
    strings::register(&mut add);
    crypto::register(&mut add);
    paths::register(&mut add);
    encoding::register(&mut add);
    semver::register(&mut add);
    helm::register(&mut add);
    // sprig's `must` forms return an error where the plain ones would
    // panic; these already return errors, so each is the same function.
    for name in MUST {
        let must = format!("must{}{}", name[..1].to_uppercase(), &name[1..]);
        if let Some(func) = set.function(name) {
            set.func(&must, func);
        }
    }
}

/// The functions sprig (and Helm, for `toYaml`) also registers as `mustX`.
const MUST: [&str; 27] = [
    "append",
    "prepend",
    "push",
    "first",
    "last",
    "rest",
    "initial",
    "reverse",
    "uniq",
    "without",
    "has",
    "compact",
    "slice",
    "chunk",
    "deepCopy",
    "merge",
    "mergeOverwrite",
    "toJson",
    "toPrettyJson",
    "toRawJson",
    "regexMatch",
    "regexFindAll",
    "regexFind",
    "regexReplaceAll",
    "regexReplaceAllLiteral",
    "regexSplit",
    "toYaml",
];

/// Go's reflect kind of a value, as sprig's `kindOf` names it.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Object(object) => kind(object.value()),
        Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(_) => "slice",
        Value::Map(_) => "map",
    }
}

/// `seq`, as GNU seq: `seq END` (from 1), `seq START END`, `seq START
/// STEP END`, both ends included, the numbers joined by spaces.
fn seq(args: &[Value]) -> Result {
    let numbers: Vec<i64> = args.iter().map(int).collect();
    let list = match numbers[..] {
        [end] => {
            let step = if end < 1 { -1 } else { 1 };
            steps(1, end + step, step)?
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            steps(start, end + step, step)?
        }
        [start, step, end] => {
            let toward = if end < start { -1 } else { 1 };
            if end < start && step > 0 {
                return Ok(Value::from(""));
            }
            steps(start, end + toward, step)?
        }
        _ => return Ok(Value::from("")),
    };
    let Value::List(items) = list else {
        return Ok(Value::from(""));
    };
    Ok(Value::String(
        items.iter().map(text).collect::<Vec<_>>().join(" "),
    ))
}

/// `untilStep`: from `start` towards `stop` (excluded) by `step`; nothing
/// when the step goes the other way or is zero.
fn steps(start: i64, stop: i64, step: i64) -> Result {
    let mut out = Vec::new();
    let mut at = start;
    while (step > 0 && at < stop) || (step < 0 && at > stop) {
        if out.len() >= MAX_ITEMS {
            return Err(format!(
                "from {start} to {stop} by {step} is more than {MAX_ITEMS} numbers"
            ));
        }
        out.push(Value::Int(at));
        at = at.saturating_add(step);
    }
    Ok(Value::List(out))
}

/// Longest list `until`, `untilStep` and `seq` make.
const MAX_ITEMS: usize = 1_000_000;

/// sprig's `merge` (mergo): each source's keys go into the destination where
/// it has none or an empty value, maps merged key by key; with `overwrite`
/// (`mergeOverwrite`), a source's values win, empty ones too. The
/// destination is changed and returned.
fn merge(args: &[Value], overwrite: bool) -> Result {
    let Some((Value::Map(destination), sources)) = args.split_first() else {
        return Err("merge needs dicts".into());
    };
    for source in sources {
        if let Value::Map(source) = source {
            merge_into(destination, source, overwrite);
        }
    }
    Ok(Value::Map(destination.clone()))
}

fn merge_into(destination: &gotmpl::value::Dict, source: &gotmpl::value::Dict, overwrite: bool) {
    for (key, value) in source.entries() {
        match (destination.get(&key), &value) {
            (Some(Value::Map(inner)), Value::Map(from)) => merge_into(&inner, from, overwrite),
            (Some(existing), _) if !empty(&existing) && !overwrite => {}
            _ => destination.insert(key, value),
        }
    }
}

/// `pick` (`keep`) or `omit`: a new dict of the entries of the first
/// argument whose keys the other arguments name, or do not name.
fn keys_of(args: &[Value], name: &str, keep: bool) -> Result {
    let Some((Value::Map(dict), keys)) = args.split_first() else {
        return Err(format!("{name} needs a dict"));
    };
    let keys: Vec<String> = keys.iter().map(text).collect();
    Ok(Value::Map(
        dict.entries()
            .into_iter()
            .filter(|(k, _)| keys.contains(k) == keep)
            .collect(),
    ))
}

/// A copy sharing no map with `v`.
fn deep_copy(v: &Value) -> Value {
    match v {
        Value::Map(d) => Value::Map(
            d.entries()
                .into_iter()
                .map(|(k, v)| (k, deep_copy(&v)))
                .collect(),
        ),
        Value::List(l) => Value::List(l.iter().map(deep_copy).collect()),
        other => other.clone(),
    }
}

/// sprig's `strval`: a string as is, anything else as `%v`.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.go_string(),
    }
}

/// `cast.ToInt64`: ints, truncated floats, parsed strings, booleans as 0/1.
fn int(v: &Value) -> i64 {
    match v {
        Value::Object(object) => int(object.value()),
        Value::Int(i) => *i,
        Value::Float(f) => *f as i64,
        Value::Bool(b) => i64::from(*b),
        Value::String(s) => parse_int(s).unwrap_or(0),
        _ => 0,
    }
}

fn parse_int(s: &str) -> Option<i64> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let value = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i64::from_str_radix(hex, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse().ok()?
    };
    Some(if negative { -value } else { value })
}

/// `cast.ToFloat64`.
fn float(v: &Value) -> f64 {
    match v {
        Value::Object(object) => float(object.value()),
        Value::Int(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::String(s) => s.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// sprig's `empty`.
fn empty(v: &Value) -> bool {
    !v.truthy()
}

fn arity(name: &str, want: usize, got: usize) -> String {
    format!("wrong number of args for {name}: want {want} got {got}")
}

fn string1(args: &[Value], f: impl Fn(&str) -> String) -> Result {
    match args {
        [v] => Ok(Value::String(f(&text(v)))),
        _ => Err(format!("wrong number of args: want 1 got {}", args.len())),
    }
}

fn string2(args: &[Value], f: impl Fn(&str, &str) -> String) -> Result {
    match args {
        [a, b] => Ok(Value::String(f(&text(a), &text(b)))),
        _ => Err(format!("wrong number of args: want 2 got {}", args.len())),
    }
}

fn bool2(args: &[Value], f: impl Fn(&str, &str) -> bool) -> Result {
    match args {
        [a, b] => Ok(Value::Bool(f(&text(a), &text(b)))),
        _ => Err(format!("wrong number of args: want 2 got {}", args.len())),
    }
}

fn list1(args: &[Value], name: &str, f: impl Fn(&[Value]) -> Value) -> Result {
    match args {
        [Value::List(l)] => Ok(f(l)),
        [Value::Nil] => Ok(f(&[])),
        [other] => Err(format!("Cannot find {name} on type {}", other.type_name())),
        _ => Err(arity(name, 1, args.len())),
    }
}

fn number1(args: &[Value], name: &str, f: impl Fn(&Value) -> Value) -> Result {
    match args {
        [v] => Ok(f(v)),
        _ => Err(arity(name, 1, args.len())),
    }
}

fn append(args: &[Value]) -> Result {
    match args {
        [Value::List(l), v] => Ok(Value::List(
            l.iter()
                .cloned()
                .chain(std::iter::once(v.clone()))
                .collect(),
        )),
        [other, _] => Err(format!("Cannot push on type {}", other.type_name())),
        _ => Err(arity("append", 2, args.len())),
    }
}

/// The non-nil arguments, each as `strval` through `f`, joined by spaces.
fn joined(args: &[Value], f: impl Fn(String) -> String) -> String {
    args.iter()
        .filter(|v| !matches!(v, Value::Nil))
        .map(|v| f(text(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `strings.Title`: the first letter of each word upper-cased.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut previous_letter = false;
    for c in s.chars() {
        if !previous_letter && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        previous_letter = c.is_alphanumeric() || c == '_' || c == '\'';
    }
    out
}

/// sprig's `substr` on bytes.
fn substr(start: i64, end: i64, s: &str) -> String {
    let bytes = s.as_bytes();
    let length = bytes.len() as i64;
    let range = if start < 0 {
        0..end.clamp(0, length) as usize
    } else if end < 0 || end > length {
        start.min(length) as usize..length as usize
    } else {
        start.min(end) as usize..end as usize
    };
    String::from_utf8_lossy(&bytes[range]).into_owned()
}

/// sprig's `trunc`: the first `count` bytes, or with a negative count the last.
fn trunc(count: i64, s: &str) -> String {
    let length = s.len() as i64;
    let bytes = s.as_bytes();
    if count < 0 && length + count > 0 {
        String::from_utf8_lossy(&bytes[(length + count) as usize..]).into_owned()
    } else if count >= 0 && length > count {
        String::from_utf8_lossy(&bytes[..count as usize]).into_owned()
    } else {
        s.to_string()
    }
}

/// sprig's `indent`: every line, the first too, after `spaces` spaces.
fn indent(spaces: i64, s: &str) -> String {
    let pad = " ".repeat(usize::try_from(spaces).unwrap_or(0));
    format!("{pad}{}", s.replace('\n', &format!("\n{pad}")))
}

//! `fmt.Sprintf` for template values: the verbs `%v %s %d %q %t %f %F %e
//! %E %g %G %x %X %o %b %c %U %%` with the flags `- + # 0 space`, width and
//! precision (`*` included), and Go's `%!verb(type=value)`, `%!verb(MISSING)`
//! and `%!(EXTRA type=value)` for arguments that do not fit.

use std::fmt::Write as _;

use crate::value::{format_float, go_quote, Value};

#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&flag) = chars.peek() {
            match flag {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                _ => break,
            }
            chars.next();
        }
        let number =
            |chars: &mut std::iter::Peekable<std::str::Chars>, next: &mut usize| -> Option<usize> {
                if chars.peek() == Some(&'*') {
                    chars.next();
                    let value = args.get(*next).and_then(|a| match a {
                        Value::Int(i) => usize::try_from(*i).ok(),
                        _ => None,
                    });
                    *next += 1;
                    return value;
                }
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                digits.parse().ok()
            };
        spec.width = number(&mut chars, &mut next);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(number(&mut chars, &mut next).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        next += 1;
        let text = match format_one(verb, &spec, arg) {
            Some(text) => text,
            // Go prints a nil argument without a type: `%!s(<nil>)`.
            None if *arg == Value::Nil => format!("%!{verb}(<nil>)"),
            None => format!("%!{verb}({}={})", arg.type_name(), arg.go_string()),
        };
        pad(
            &mut out,
            &text,
            &spec,
            matches!(arg, Value::Int(_) | Value::Float(_)),
        );
    }
    if next < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[next..]
            .iter()
            .map(|a| match a {
                Value::Nil => "<nil>".to_string(),
                a => format!("{}={}", a.type_name(), a.go_string()),
            })
            .collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

/// Pads to the width: spaces on the left (right with `-`), or zeros after
/// the sign for numbers with `0`.
fn pad(out: &mut String, text: &str, spec: &Spec, numeric: bool) {
    let length = text.chars().count();
    let width = spec.width.unwrap_or(0);
    if length >= width {
        out.push_str(text);
    } else if spec.minus {
        out.push_str(text);
        out.push_str(&" ".repeat(width - length));
    } else if spec.zero && numeric {
        let (sign, digits) = match text.strip_prefix(['-', '+']) {
            Some(rest) => (&text[..1], rest),
            None => ("", text),
        };
        out.push_str(sign);
        out.push_str(&"0".repeat(width - length));
        out.push_str(digits);
    } else {
        out.push_str(&" ".repeat(width - length));
        out.push_str(text);
    }
}

fn signed(text: String, negative: bool, spec: &Spec) -> String {
    if negative {
        text
    } else if spec.plus {
        format!("+{text}")
    } else if spec.space {
        format!(" {text}")
    } else {
        text
    }
}

fn format_one(verb: char, spec: &Spec, arg: &Value) -> Option<String> {
    Some(match (verb, arg) {
        ('v', Value::Float(f)) => signed(format_float(*f), *f < 0.0, spec),
        ('v', Value::Int(i)) => signed(i.to_string(), *i < 0, spec),
        ('v', Value::Nil) => "<nil>".into(),
        ('v', other) => other.go_string(),
        ('s', Value::String(s)) => match spec.precision {
            Some(p) => s.chars().take(p).collect(),
            None => s.clone(),
        },
        ('s', Value::List(_) | Value::Map(_)) => arg.go_string(),
        ('d', Value::Int(i)) => signed(i.to_string(), *i < 0, spec),
        ('t', Value::Bool(b)) => b.to_string(),
        ('q', Value::String(s)) => go_quote(s),
        ('q', Value::Int(i)) => format!("'{}'", char::from_u32(u32::try_from(*i).ok()?)?),
        ('c', Value::Int(i)) => char::from_u32(u32::try_from(*i).ok()?)?.to_string(),
        ('U', Value::Int(i)) => format!("U+{:04X}", i),
        ('x', Value::Int(i)) => signed(radix(*i, 16, spec.sharp, "0x"), *i < 0, spec),
        ('X', Value::Int(i)) => {
            signed(radix(*i, 16, spec.sharp, "0X").to_uppercase(), *i < 0, spec)
        }
        ('o', Value::Int(i)) => signed(radix(*i, 8, spec.sharp, "0"), *i < 0, spec),
        ('b', Value::Int(i)) => signed(radix(*i, 2, false, ""), *i < 0, spec),
        ('x', Value::String(s)) => s.bytes().map(|b| format!("{b:02x}")).collect(),
        ('X', Value::String(s)) => s.bytes().map(|b| format!("{b:02X}")).collect(),
        ('f' | 'F', Value::Float(f)) => signed(
            format!("{:.*}", spec.precision.unwrap_or(6), f),
            *f < 0.0,
            spec,
        ),
        ('e' | 'E', Value::Float(f)) => {
            let text = exponent(*f, spec.precision.unwrap_or(6));
            signed(
                if verb == 'E' {
                    text.to_uppercase()
                } else {
                    text
                },
                *f < 0.0,
                spec,
            )
        }
        ('g' | 'G', Value::Float(f)) => {
            let text = match spec.precision {
                None => format_float(*f),
                Some(p) => general(*f, p.max(1)),
            };
            signed(
                if verb == 'G' {
                    text.to_uppercase()
                } else {
                    text
                },
                *f < 0.0,
                spec,
            )
        }
        _ => return None,
    })
}

fn radix(i: i64, base: u32, sharp: bool, prefix: &str) -> String {
    let magnitude = i.unsigned_abs();
    let digits = match base {
        16 => format!("{magnitude:x}"),
        8 => format!("{magnitude:o}"),
        _ => format!("{magnitude:b}"),
    };
    let sign = if i < 0 { "-" } else { "" };
    let prefix = if sharp { prefix } else { "" };
    format!("{sign}{prefix}{digits}")
}

/// `%e` with `precision` digits after the point: `1.500000e+06`.
fn exponent(f: f64, precision: usize) -> String {
    let text = format!("{f:.precision$e}");
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// `%.Ng`: `precision` significant digits, exponent form when the exponent
/// is below -4 or at least the precision, trailing zeros removed.
fn general(f: f64, precision: usize) -> String {
    if f == 0.0 {
        return "0".into();
    }
    let exp = f.abs().log10().floor() as i32;
    let rounded = format!("{:.*e}", precision - 1, f);
    let exp = rounded
        .split_once('e')
        .and_then(|(_, e)| e.parse::<i32>().ok())
        .unwrap_or(exp);
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if exp < -4 || exp >= precision as i32 {
        let text = exponent(f, precision - 1);
        let (mantissa, e) = text.split_once('e').unwrap_or((&text, ""));
        format!("{}e{e}", trim(mantissa.to_string()))
    } else {
        let decimals = (precision as i32 - 1 - exp).max(0) as usize;
        trim(format!("{f:.decimals$}"))
    }
}

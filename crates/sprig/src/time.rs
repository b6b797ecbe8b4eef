//! sprig's date functions, made deterministic: `now`, `date`,
//! `dateInZone`, `htmlDate`, `htmlDateInZone`, `dateModify`, `toDate`,
//! `unixEpoch`, `ago`, `duration`, `durationRound` (and their `must` and
//! snake-case forms).
//!
//! `now` is not the clock: it is the instant the caller registers (the
//! release's), so a render never changes because time passed. Times are
//! whole seconds in UTC; a time is a value whose functions see its Unix
//! seconds (as sprig's functions take ints for times) and which prints as
//! Go prints a `time.Time`, with Go's methods `Format`, `Unix`, `UTC`,
//! `Year`. Zones other than UTC (and `Local`, which is UTC here) are not
//! known: without the time zone database they fall back to UTC, as sprig
//! does for a zone it cannot load.

use std::collections::BTreeMap;
use std::sync::Arc;

use gotmpl::{Func, Object, Templates, Value};

use crate::{arity, int, text};

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Registers the date functions, `now` giving `now` (Unix seconds).
pub fn register(set: &mut Templates, now: i64) {
    set.func("now", Arc::new(move |_: &[Value]| Ok(time(now))));
    let date = move |layout: &str, t: Option<&Value>| format(layout, instant(t, now));
    set.func(
        "date",
        Arc::new(move |a: &[Value]| match a {
            [layout, t] => Ok(Value::String(date(&text(layout), Some(t)))),
            _ => Err(arity("date", 2, a.len())),
        }),
    );
    let in_zone: Func = Arc::new(move |a| match a {
        [layout, t, _zone] => Ok(Value::String(date(&text(layout), Some(t)))),
        _ => Err(arity("dateInZone", 3, a.len())),
    });
    set.func("dateInZone", Arc::clone(&in_zone));
    set.func("date_in_zone", in_zone);
    set.func(
        "htmlDate",
        Arc::new(move |a: &[Value]| match a {
            [t] => Ok(Value::String(date("2006-01-02", Some(t)))),
            _ => Err(arity("htmlDate", 1, a.len())),
        }),
    );
    set.func(
        "htmlDateInZone",
        Arc::new(move |a: &[Value]| match a {
            [t, _zone] => Ok(Value::String(date("2006-01-02", Some(t)))),
            _ => Err(arity("htmlDateInZone", 2, a.len())),
        }),
    );
    set.func(
        "ago",
        Arc::new(move |a: &[Value]| match a {
            [t] => Ok(Value::String(go_duration(
                (now - instant(Some(t), now)).saturating_mul(1_000_000_000),
            ))),
            _ => Err(arity("ago", 1, a.len())),
        }),
    );
    let modify = |must: bool| -> Func {
        Arc::new(move |a| match a {
            [shift, t] => match parse_duration(&text(shift)) {
                Ok(nanos) => Ok(time(int(t) + nanos.div_euclid(1_000_000_000))),
                Err(e) if must => Err(e),
                Err(_) => Ok(t.clone()),
            },
            _ => Err(arity("dateModify", 2, a.len())),
        })
    };
    set.func("dateModify", modify(false));
    set.func("date_modify", modify(false));
    set.func("mustDateModify", modify(true));
    set.func("must_date_modify", modify(true));
    let to_date = |must: bool| -> Func {
        Arc::new(move |a| match a {
            [layout, s] => match parse(&text(layout), &text(s)) {
                Ok(seconds) => Ok(time(seconds)),
                Err(e) if must => Err(e),
                // Go's zero time.
                Err(_) => Ok(time(ZERO_TIME)),
            },
            _ => Err(arity("toDate", 2, a.len())),
        })
    };
    set.func("toDate", to_date(false));
    set.func("mustToDate", to_date(true));
    set.func(
        "unixEpoch",
        Arc::new(|a: &[Value]| match a {
            [t] => Ok(Value::String(int(t).to_string())),
            _ => Err(arity("unixEpoch", 1, a.len())),
        }),
    );
    // sprig reads a string or an int64 as seconds, anything else as 0.
    set.func(
        "duration",
        Arc::new(|a: &[Value]| match a {
            [v] => {
                let seconds = match v {
                    Value::String(s) => s.parse().unwrap_or(0),
                    Value::Int(i) => *i,
                    _ => 0,
                };
                Ok(Value::String(go_duration(
                    seconds.saturating_mul(1_000_000_000),
                )))
            }
            _ => Err(arity("duration", 1, a.len())),
        }),
    );
    set.func(
        "durationRound",
        Arc::new(move |a: &[Value]| match a {
            [v] => {
                let nanos = match v {
                    Value::String(s) => parse_duration(s).unwrap_or(0),
                    Value::Int(i) => *i,
                    Value::Object(_) => (now - int(v)).saturating_mul(1_000_000_000),
                    _ => 0,
                };
                Ok(Value::String(round_duration(nanos)))
            }
            _ => Err(arity("durationRound", 1, a.len())),
        }),
    );
}

/// 0001-01-01T00:00:00Z, Go's zero time, in Unix seconds.
const ZERO_TIME: i64 = -62_135_596_800;

/// The time a function was given: a time or an int (Unix seconds);
/// anything else is `now`, as sprig takes the clock then.
fn instant(t: Option<&Value>, now: i64) -> i64 {
    match t {
        Some(Value::Object(object)) => match object.value() {
            Value::Int(seconds) => *seconds,
            _ => now,
        },
        Some(Value::Int(seconds)) => *seconds,
        _ => now,
    }
}

/// A time value: Unix seconds, printed and with methods as Go's time.Time.
pub fn time(seconds: i64) -> Value {
    let mut methods: BTreeMap<&'static str, Func> = BTreeMap::new();
    methods.insert(
        "Format",
        Arc::new(move |a| match a {
            [layout] => Ok(Value::String(format(&text(layout), seconds))),
            _ => Err(format!(
                "wrong number of args for Format: want 1 got {}",
                a.len()
            )),
        }),
    );
    methods.insert("Unix", Arc::new(move |_| Ok(Value::Int(seconds))));
    methods.insert("UTC", Arc::new(move |_| Ok(time(seconds))));
    methods.insert("Year", Arc::new(move |_| Ok(Value::Int(civil(seconds).0))));
    let shown = format("2006-01-02 15:04:05 -0700 MST", seconds);
    Value::Object(Arc::new(
        Object::new(Value::Int(seconds), methods).shown(shown),
    ))
}

/// (year, month 1-12, day, hour, minute, second, weekday 0=Sunday, day of
/// year 1-366) of Unix `seconds` in UTC.
fn civil(seconds: i64) -> (i64, i64, i64, i64, i64, i64, i64, i64) {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy_march = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy_march + 2) / 153;
    let day = doy_march - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = (days + 4).rem_euclid(7);
    let yday = days - days_from_civil(year, 1, 1) + 1;
    (
        year,
        month,
        day,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        weekday,
        yday,
    )
}

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The elements of a Go layout.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Element {
    LongMonth,
    Month,
    NumMonth,
    ZeroMonth,
    LongWeekday,
    Weekday,
    Day,
    UnderDay,
    ZeroDay,
    YearDay,
    ZeroYearDay,
    Hour,
    Hour12,
    ZeroHour12,
    Minute,
    ZeroMinute,
    Second,
    ZeroSecond,
    LongYear,
    Year,
    Pm,
    PmLower,
    Zone,
    /// `-0700` style offsets, and with `Z`, Z for UTC: the text as written.
    Offset(&'static str, bool),
    /// `.000` or `.999`: digits and whether trailing zeros go.
    Fraction(usize, bool),
}

/// The next element of `layout` at its start: the literal text before it,
/// the element, and the rest (Go's `nextStdChunk`).
fn next_element(layout: &str) -> (&str, Option<Element>, &str) {
    use Element::*;
    const OFFSETS: [&str; 5] = ["-070000", "-07:00:00", "-0700", "-07:00", "-07"];
    let bytes = layout.as_bytes();
    for i in 0..bytes.len() {
        let rest = &layout[i..];
        let found: Option<(Element, usize)> = match bytes[i] {
            b'J' if rest.starts_with("January") => Some((LongMonth, 7)),
            b'J' if rest.starts_with("Jan") => Some((Month, 3)),
            b'M' if rest.starts_with("Monday") => Some((LongWeekday, 6)),
            b'M' if rest.starts_with("Mon") => Some((Weekday, 3)),
            b'M' if rest.starts_with("MST") => Some((Zone, 3)),
            b'0' if rest.len() >= 2 && (b'1'..=b'6').contains(&bytes[i + 1]) => Some((
                [ZeroMonth, ZeroDay, ZeroHour12, ZeroMinute, ZeroSecond, Year]
                    [usize::from(bytes[i + 1] - b'1')],
                2,
            )),
            b'0' if rest.starts_with("002") => Some((ZeroYearDay, 3)),
            b'1' if rest.starts_with("15") => Some((Hour, 2)),
            b'1' => Some((NumMonth, 1)),
            b'2' if rest.starts_with("2006") => Some((LongYear, 4)),
            b'2' => Some((Day, 1)),
            b'_' if rest.starts_with("_2006") => {
                return (&layout[..i + 1], Some(LongYear), &layout[i + 5..])
            }
            b'_' if rest.starts_with("__2") => Some((YearDay, 3)),
            b'_' if rest.starts_with("_2") => Some((UnderDay, 2)),
            b'3' => Some((Hour12, 1)),
            b'4' => Some((Minute, 1)),
            b'5' => Some((Second, 1)),
            b'P' if rest.starts_with("PM") => Some((Pm, 2)),
            b'p' if rest.starts_with("pm") => Some((PmLower, 2)),
            b'-' => OFFSETS
                .iter()
                .find(|o| rest.starts_with(**o))
                .map(|o| (Offset(o, false), o.len())),
            b'Z' => OFFSETS
                .iter()
                .find(|o| rest.len() >= o.len() && rest[1..].starts_with(&o[1..]))
                .map(|o| (Offset(o, true), o.len())),
            b'.' | b',' if rest.len() > 1 && matches!(bytes[i + 1], b'0' | b'9') => {
                let digit = bytes[i + 1];
                let run = rest[1..].bytes().take_while(|b| *b == digit).count();
                let after = rest.as_bytes().get(run + 1);
                (!after.is_some_and(u8::is_ascii_digit))
                    .then_some((Fraction(run, digit == b'9'), run + 1))
            }
            _ => None,
        };
        if let Some((element, length)) = found {
            return (&layout[..i], Some(element), &layout[i + length..]);
        }
    }
    (layout, None, "")
}

/// Unix `seconds` (UTC) written in Go's `layout`.
pub fn format(layout: &str, seconds: i64) -> String {
    use Element::*;
    let (year, month, day, hour, minute, second, weekday, yday) = civil(seconds);
    let hour12 = if hour % 12 == 0 { 12 } else { hour % 12 };
    let mut out = String::new();
    let mut rest = layout;
    while !rest.is_empty() {
        let (literal, element, after) = next_element(rest);
        out.push_str(literal);
        rest = after;
        let Some(element) = element else {
            break;
        };
        let text = match element {
            LongMonth => MONTHS[(month - 1) as usize].to_string(),
            Month => MONTHS[(month - 1) as usize][..3].to_string(),
            NumMonth => month.to_string(),
            ZeroMonth => format!("{month:02}"),
            LongWeekday => DAYS[weekday as usize].to_string(),
            Weekday => DAYS[weekday as usize][..3].to_string(),
            Day => day.to_string(),
            UnderDay => format!("{day:>2}"),
            ZeroDay => format!("{day:02}"),
            YearDay => format!("{yday:>3}"),
            ZeroYearDay => format!("{yday:03}"),
            Hour => format!("{hour:02}"),
            Hour12 => hour12.to_string(),
            ZeroHour12 => format!("{hour12:02}"),
            Minute => minute.to_string(),
            ZeroMinute => format!("{minute:02}"),
            Second => second.to_string(),
            ZeroSecond => format!("{second:02}"),
            LongYear => format!("{year:04}"),
            Year => format!("{:02}", year.rem_euclid(100)),
            Pm => if hour >= 12 { "PM" } else { "AM" }.to_string(),
            PmLower => if hour >= 12 { "pm" } else { "am" }.to_string(),
            Zone => "UTC".to_string(),
            Offset(written, z) => {
                if z {
                    "Z".to_string()
                } else {
                    written.replace("07", "00").replace('-', "+")
                }
            }
            Fraction(digits, trim) => {
                if trim {
                    String::new()
                } else {
                    format!(".{}", "0".repeat(digits))
                }
            }
        };
        out.push_str(&text);
    }
    out
}

/// Parses `value` as Go's `time.Parse(layout, value)` does, in UTC (an
/// offset in the value is applied); Unix seconds (fractions dropped).
fn parse(layout: &str, value: &str) -> Result<i64, String> {
    use Element::*;
    let fail = |what: &str| {
        format!("parsing time {value:?} as {layout:?}: cannot parse {what:?} as {layout:?}")
    };
    let (mut year, mut month, mut day, mut hour, mut minute, mut second) = (1i64, 1, 1, 0, 0, 0);
    let (mut pm, mut offset) = (None, 0i64);
    let mut rest_layout = layout;
    let mut input = value;
    let number = |input: &mut &str, min: usize, max: usize| -> Option<i64> {
        let digits = input
            .bytes()
            .take(max)
            .take_while(u8::is_ascii_digit)
            .count();
        if digits < min {
            return None;
        }
        let n = input[..digits].parse().ok()?;
        *input = &input[digits..];
        Some(n)
    };
    while !rest_layout.is_empty() {
        let (literal, element, after) = next_element(rest_layout);
        rest_layout = after;
        input = input.strip_prefix(literal).ok_or_else(|| fail(input))?;
        let Some(element) = element else {
            break;
        };
        let before = input;
        let parsed = match element {
            LongYear => number(&mut input, 4, 4).map(|n| year = n),
            Year => {
                number(&mut input, 2, 2).map(|n| year = if n >= 69 { 1900 + n } else { 2000 + n })
            }
            ZeroMonth | NumMonth => number(&mut input, 1, 2).map(|n| month = n),
            LongMonth | Month => MONTHS
                .iter()
                .position(|m| {
                    let name = if element == Month { &m[..3] } else { m };
                    input
                        .get(..name.len())
                        .is_some_and(|s| s.eq_ignore_ascii_case(name))
                        && {
                            input = &input[name.len()..];
                            true
                        }
                })
                .map(|i| month = i as i64 + 1),
            LongWeekday | Weekday => DAYS.iter().find_map(|d| {
                let name = if element == Weekday { &d[..3] } else { d };
                input
                    .get(..name.len())
                    .filter(|s| s.eq_ignore_ascii_case(name))?;
                input = &input[name.len()..];
                Some(())
            }),
            ZeroDay | Day | UnderDay => {
                input = input.trim_start_matches(' ');
                number(&mut input, 1, 2).map(|n| day = n)
            }
            YearDay | ZeroYearDay => number(&mut input, 1, 3).map(|_| ()),
            Hour => number(&mut input, 1, 2).map(|n| hour = n),
            Hour12 | ZeroHour12 => number(&mut input, 1, 2).map(|n| hour = n),
            Minute | ZeroMinute => number(&mut input, 1, 2).map(|n| minute = n),
            Second | ZeroSecond => {
                let parsed = number(&mut input, 1, 2).map(|n| second = n);
                // A fraction after the seconds is accepted even if the layout has none.
                if parsed.is_some()
                    && input.starts_with('.')
                    && !rest_layout.starts_with(['.', ','])
                {
                    input = input[1..].trim_start_matches(|c: char| c.is_ascii_digit());
                }
                parsed
            }
            Pm | PmLower => {
                let word = input.get(..2).map(str::to_ascii_uppercase);
                input = input.get(2..).unwrap_or("");
                pm = match word.as_deref() {
                    Some("AM") => Some(false),
                    Some("PM") => Some(true),
                    _ => return Err(fail(before)),
                };
                Some(())
            }
            Zone => {
                let letters = input.bytes().take_while(u8::is_ascii_uppercase).count();
                (letters >= 3).then(|| input = &input[letters..])
            }
            Offset(written, z) => {
                if z && input.starts_with('Z') {
                    input = &input[1..];
                    Some(())
                } else {
                    let sign = match input.as_bytes().first() {
                        Some(b'+') => 1,
                        Some(b'-') => -1,
                        _ => return Err(fail(before)),
                    };
                    input = &input[1..];
                    let colons = written.contains(':');
                    let groups = written.bytes().filter(u8::is_ascii_digit).count() / 2;
                    let mut total = 0;
                    for i in 0..groups {
                        if i > 0 && colons {
                            input = input.strip_prefix(':').ok_or_else(|| fail(before))?;
                        }
                        let n = number(&mut input, 2, 2).ok_or_else(|| fail(before))?;
                        total = total * 60 + n;
                    }
                    for _ in groups..3 {
                        total *= 60;
                    }
                    offset = sign * total;
                    Some(())
                }
            }
            Fraction(..) => {
                input = input
                    .strip_prefix(['.', ','])
                    .map(|s| s.trim_start_matches(|c: char| c.is_ascii_digit()))
                    .ok_or_else(|| fail(before))?;
                Some(())
            }
        };
        if parsed.is_none() {
            return Err(fail(before));
        }
    }
    if !input.is_empty() {
        return Err(format!("parsing time {value:?}: extra text: {input:?}"));
    }
    match pm {
        Some(true) if hour < 12 => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        _ => {}
    }
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(format!("parsing time {value:?}: value out of range"));
    }
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// Go's `time.ParseDuration`, in nanoseconds.
fn parse_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {text:?}");
    let (negative, mut rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let value: f64 = rest[..number].parse().map_err(|_| invalid())?;
        rest = &rest[number..];
        let unit = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() || *c == '.')
            .map_or(rest.len(), |(i, _)| i);
        let scale = match &rest[..unit] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration {text:?}")),
            other => return Err(format!("time: unknown unit {other:?} in duration {text:?}")),
        };
        total += value * scale;
        rest = &rest[unit..];
    }
    if total > i64::MAX as f64 {
        return Err(invalid());
    }
    Ok(if negative {
        -(total as i64)
    } else {
        total as i64
    })
}

/// Go's `Duration.String`: `1h2m3.5s`, `1.5ms`, `0s`.
fn go_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let u = nanos.unsigned_abs();
    let fraction = |value: u64, unit: u64| -> String {
        let (whole, part) = (value / unit, value % unit);
        let digits = unit.ilog10() as usize;
        let part = format!("{part:0digits$}");
        let part = part.trim_end_matches('0');
        if part.is_empty() {
            whole.to_string()
        } else {
            format!("{whole}.{part}")
        }
    };
    if u < 1_000 {
        return format!("{sign}{u}ns");
    }
    if u < 1_000_000 {
        return format!("{sign}{}µs", fraction(u, 1_000));
    }
    if u < 1_000_000_000 {
        return format!("{sign}{}ms", fraction(u, 1_000_000));
    }
    let seconds = fraction(u % 60_000_000_000, 1_000_000_000);
    let minutes = u / 60_000_000_000 % 60;
    let hours = u / 3_600_000_000_000;
    if hours > 0 {
        format!("{sign}{hours}h{minutes}m{seconds}s")
    } else if minutes > 0 {
        format!("{sign}{minutes}m{seconds}s")
    } else {
        format!("{sign}{seconds}s")
    }
}

/// sprig's `durationRound`: the duration in its largest whole unit.
fn round_duration(nanos: i64) -> String {
    let u = nanos.unsigned_abs();
    const SECOND: u64 = 1_000_000_000;
    for (unit, name) in [
        (SECOND * 3600 * 24 * 365, "y"),
        (SECOND * 3600 * 24 * 30, "mo"),
        (SECOND * 3600 * 24, "d"),
        (SECOND * 3600, "h"),
        (SECOND * 60, "m"),
        (SECOND, "s"),
    ] {
        if u > unit {
            return format!("{}{name}", u / unit);
        }
    }
    "0s".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_go_layouts() {
        // 2009-11-10 23:00:00 UTC, Go's playground time.
        let t = 1_257_894_000;
        assert_eq!(
            format("Mon Jan _2 15:04:05 MST 2006", t),
            "Tue Nov 10 23:00:00 UTC 2009"
        );
        assert_eq!(
            format("2006-01-02T15:04:05Z07:00", t),
            "2009-11-10T23:00:00Z"
        );
        assert_eq!(
            format("3:04PM, January 2 '06 002 .000", t),
            "11:00PM, November 10 '09 314 .000"
        );
        assert_eq!(
            parse("2006-01-02T15:04:05Z07:00", "2009-11-10T23:00:00Z"),
            Ok(t)
        );
        assert_eq!(
            parse("2006-01-02 15:04 -0700", "2009-11-11 01:00 +0200"),
            Ok(t)
        );
        assert!(parse("2006-01-02", "2009-13-01").is_err());
        assert_eq!(civil(0).0, 1970);
        assert_eq!(format("2006-01-02", ZERO_TIME), "0001-01-01");
    }

    #[test]
    fn durations_as_go_writes_them() {
        assert_eq!(go_duration(90 * 1_000_000_000), "1m30s");
        assert_eq!(go_duration(3_600 * 1_000_000_000), "1h0m0s");
        assert_eq!(go_duration(1_500_000), "1.5ms");
        assert_eq!(parse_duration("1h30m"), Ok(5_400 * 1_000_000_000));
        assert_eq!(parse_duration("-1.5h"), Ok(-5_400 * 1_000_000_000));
        assert!(parse_duration("5").is_err());
        assert_eq!(round_duration(3 * 86_400 * 1_000_000_000 + 5), "3d");
    }
}

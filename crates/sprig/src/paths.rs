//! Paths and URLs: `base`, `dir`, `clean`, `ext`, `isAbs` (Go's `path`,
//! slash-separated) and their `os*` forms (Go's `path/filepath`, the same
//! on Linux, where Helm runs in clusters), `urlParse` and `urlJoin` (Go's
//! `net/url`), and `getHostByName`, refused: rendering never touches the
//! network, so the same chart always renders the same objects.

use gotmpl::Value;

use crate::{arity, text};

type Result = std::result::Result<Value, String>;

pub fn register(add: &mut impl FnMut(&str, fn(&[Value]) -> Result)) {
    add("base", |a| path1(a, "base", base));
    add("osBase", |a| path1(a, "osBase", base));
    add("dir", |a| path1(a, "dir", dir));
    add("osDir", |a| path1(a, "osDir", dir));
    add("clean", |a| path1(a, "clean", clean));
    add("osClean", |a| path1(a, "osClean", clean));
    add("ext", |a| path1(a, "ext", |p| ext(p).to_string()));
    add("osExt", |a| path1(a, "osExt", |p| ext(p).to_string()));
    add("isAbs", |a| match a {
        [p] => Ok(Value::Bool(text(p).starts_with('/'))),
        _ => Err(arity("isAbs", 1, a.len())),
    });
    add("osIsAbs", |a| match a {
        [p] => Ok(Value::Bool(text(p).starts_with('/'))),
        _ => Err(arity("osIsAbs", 1, a.len())),
    });
    add("urlParse", |a| match a {
        [u] => url_parse(&text(u)),
        _ => Err(arity("urlParse", 1, a.len())),
    });
    add("urlJoin", |a| match a {
        [Value::Map(parts)] => {
            let part = |key: &str| parts.get(key).map(|v| text(&v)).unwrap_or_default();
            Ok(Value::String(url_join(
                &part("scheme"),
                &part("userinfo"),
                &part("host"),
                &part("path"),
                &part("query"),
                &part("fragment"),
                &part("opaque"),
            )))
        }
        [other] => Err(format!(
            "wrong type for value; expected map[string]interface {{}}; got {}",
            other.type_name()
        )),
        _ => Err(arity("urlJoin", 1, a.len())),
    });
    add("getHostByName", |_| {
        Err("getHostByName is not supported: cleat renders without the network, so that the same chart and values always give the same objects; pass the address as a value".into())
    });
}

fn path1(args: &[Value], name: &str, f: impl Fn(&str) -> String) -> Result {
    match args {
        [p] => Ok(Value::String(f(&text(p)))),
        _ => Err(arity(name, 1, args.len())),
    }
}

/// Go's `path.Clean`: the shortest equivalent path, by lexical processing.
fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Go's `path.Base`: the last element, trailing slashes removed.
fn base(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// Go's `path.Dir`: all but the last element, cleaned.
fn dir(path: &str) -> String {
    let cut = path.rfind('/').map_or(0, |i| i + 1);
    clean(&path[..cut])
}

/// Go's `path.Ext`: from the last dot of the last element.
fn ext(path: &str) -> &str {
    let last = path.rsplit('/').next().unwrap_or(path);
    last.rfind('.').map_or("", |i| &last[i..])
}

/// `urlParse`: sprig's dict of Go's `url.Parse` (scheme, host, hostname,
/// path, query, opaque, fragment, userinfo).
fn url_parse(url: &str) -> Result {
    let (rest, fragment) = url.split_once('#').unwrap_or((url, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (scheme, rest) = match rest.find(':') {
        Some(at)
            if at > 0
                && rest[..at].chars().enumerate().all(|(i, c)| {
                    c.is_ascii_alphabetic() || (i > 0 && (c.is_ascii_digit() || "+-.".contains(c)))
                }) =>
        {
            (rest[..at].to_ascii_lowercase(), &rest[at + 1..])
        }
        Some(0) => {
            return Err(format!(
                "unable to parse url: parse {url:?}: missing protocol scheme"
            ))
        }
        _ => (String::new(), rest),
    };
    let (mut userinfo, mut host, mut path, mut opaque) = ("", "", rest, "");
    if let Some(authority) = rest.strip_prefix("//") {
        let end = authority.find('/').unwrap_or(authority.len());
        let (user_host, tail) = authority.split_at(end);
        (userinfo, host) = match user_host.rsplit_once('@') {
            Some((user, host)) => (user, host),
            None => ("", user_host),
        };
        path = tail;
    } else if !scheme.is_empty() && !rest.starts_with('/') {
        (opaque, path) = (rest, "");
    }
    let hostname = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    Ok(Value::map([
        ("scheme", Value::String(scheme)),
        ("host", Value::from(host)),
        ("hostname", Value::from(hostname)),
        ("path", Value::from(path)),
        ("query", Value::from(query)),
        ("opaque", Value::from(opaque)),
        ("fragment", Value::from(fragment)),
        ("userinfo", Value::from(userinfo)),
    ]))
}

/// `urlJoin`: a URL from the parts `urlParse` gives, as Go's `URL.String`.
fn url_join(
    scheme: &str,
    userinfo: &str,
    host: &str,
    path: &str,
    query: &str,
    fragment: &str,
    opaque: &str,
) -> String {
    let mut out = String::new();
    if !scheme.is_empty() {
        out.push_str(scheme);
        out.push(':');
    }
    if !opaque.is_empty() {
        out.push_str(opaque);
    } else {
        if !scheme.is_empty() || !host.is_empty() || !userinfo.is_empty() {
            if !host.is_empty() || !path.is_empty() || !userinfo.is_empty() {
                out.push_str("//");
            }
            if !userinfo.is_empty() {
                out.push_str(userinfo);
                out.push('@');
            }
            out.push_str(host);
        }
        if !path.is_empty() && !path.starts_with('/') && !host.is_empty() {
            out.push('/');
        }
        out.push_str(path);
    }
    if !query.is_empty() {
        out.push('?');
        out.push_str(query);
    }
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_as_go_processes_them() {
        for (input, cleaned) in [
            ("", "."),
            ("a/../..", ".."),
            ("/../a//b/./c/", "/a/b/c"),
            ("a/b/../../c", "c"),
        ] {
            assert_eq!(clean(input), cleaned, "{input}");
        }
        assert_eq!(base("/a/b/"), "b");
        assert_eq!(base("///"), "/");
        assert_eq!(dir("/a/b"), "/a");
        assert_eq!(dir("b"), ".");
        assert_eq!(ext("a/b.tar.gz"), ".gz");
        assert_eq!(ext("a.d/b"), "");
    }
}

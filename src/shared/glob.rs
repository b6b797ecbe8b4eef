//! Glob patterns over `/`-separated names, as Helm matches them (gobwas/glob
//! with `/` as the separator, which `.Files.Glob` and `.helmignore` use):
//! `*` is any run of characters but `/`, `**` any run including `/`, `?` one
//! character but `/`, `[abc]`, `[a-z]` and `[!a]`/`[^a]` a class, `{a,b}`
//! alternatives, `\` escapes the next character.
//!
//! Matching is a table over pattern and name positions, so no pattern takes
//! longer than their product: `*a*a*a*a*b` cannot backtrack exponentially.

/// Most alternatives a pattern may expand to through `{...}`.
const MAX_ALTERNATIVES: usize = 256;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Char(char),
    /// One character but `/`.
    Any,
    /// Any run without `/`.
    Star,
    /// Any run.
    Stars,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// A compiled pattern: one token list per `{...}` alternative.
#[derive(Debug, Clone)]
pub struct Glob {
    alternatives: Vec<Alternative>,
}

/// One alternative's tokens, and the literal text they start and end with:
/// a name without both cannot match, which rejects most names (`*.bak`
/// against `values.yaml`) without building the table.
#[derive(Debug, Clone)]
struct Alternative {
    tokens: Vec<Token>,
    prefix: String,
    suffix: String,
}

impl Alternative {
    fn new(tokens: Vec<Token>) -> Alternative {
        let literal = |token: &Token| match token {
            Token::Char(c) => Some(*c),
            _ => None,
        };
        let prefix: String = tokens.iter().map_while(literal).collect();
        let suffix: String = if prefix.chars().count() == tokens.len() {
            String::new()
        } else {
            let mut tail: Vec<char> = tokens.iter().rev().map_while(literal).collect();
            tail.reverse();
            tail.into_iter().collect()
        };
        Alternative {
            tokens,
            prefix,
            suffix,
        }
    }

    fn matches(&self, name: &str) -> bool {
        let literal = self.prefix.chars().count() == self.tokens.len();
        if literal {
            return name == self.prefix;
        }
        name.len() >= self.prefix.len() + self.suffix.len()
            && name.starts_with(&self.prefix)
            && name.ends_with(&self.suffix)
            && matches(&self.tokens, &name.chars().collect::<Vec<_>>())
    }
}

impl Glob {
    /// Compiles `pattern`; a malformed pattern (an unclosed `[` or `{`, or
    /// more than 256 alternatives) is an error naming it.
    pub fn new(pattern: &str) -> Result<Glob, String> {
        let alternatives = expand(pattern)?;
        let alternatives = alternatives
            .iter()
            .map(|text| {
                tokens(text)
                    .map(Alternative::new)
                    .ok_or_else(|| format!("malformed glob pattern `{pattern}`"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Glob { alternatives })
    }

    /// Whether the whole of `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        self.alternatives.iter().any(|a| a.matches(name))
    }
}

/// `a{b,c}d` as `abd` and `acd` (nested braces expand too).
fn expand(pattern: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut open = None;
    let mut depth = 0;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '{' => {
                if depth == 0 {
                    open = Some(i);
                }
                depth += 1;
            }
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let start = open.unwrap_or(0);
                    let prefix: String = chars[..start].iter().collect();
                    let suffix: String = chars[i + 1..].iter().collect();
                    let mut parts = Vec::new();
                    let (mut level, mut from) = (0, start + 1);
                    let mut j = start + 1;
                    while j < i {
                        match chars[j] {
                            '\\' => j += 1,
                            '{' => level += 1,
                            '}' => level -= 1,
                            ',' if level == 0 => {
                                parts.push(chars[from..j].iter().collect::<String>());
                                from = j + 1;
                            }
                            _ => {}
                        }
                        j += 1;
                    }
                    parts.push(chars[from..i].iter().collect::<String>());
                    let mut out = Vec::new();
                    for part in parts {
                        for rest in expand(&format!("{prefix}{part}{suffix}"))? {
                            out.push(rest);
                            if out.len() > MAX_ALTERNATIVES {
                                return Err(format!(
                                    "glob pattern `{pattern}` expands to more than {MAX_ALTERNATIVES} alternatives"
                                ));
                            }
                        }
                    }
                    return Ok(out);
                }
            }
            _ => {}
        }
        i += 1;
    }
    if depth > 0 {
        return Err(format!("malformed glob pattern `{pattern}`: unclosed `{{`"));
    }
    Ok(vec![pattern.to_string()])
}

fn tokens(pattern: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(match c {
            '\\' => Token::Char(chars.next()?),
            '?' => Token::Any,
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                Token::Stars
            }
            '*' => Token::Star,
            '[' => {
                let negated = matches!(chars.peek(), Some('!' | '^'));
                if negated {
                    chars.next();
                }
                let mut ranges = Vec::new();
                loop {
                    let c = match chars.next()? {
                        ']' if !ranges.is_empty() => break,
                        '\\' => chars.next()?,
                        c => c,
                    };
                    if chars.peek() == Some(&'-') {
                        chars.next();
                        match chars.next()? {
                            ']' => {
                                ranges.push((c, c));
                                ranges.push(('-', '-'));
                                break;
                            }
                            end => ranges.push((c, end)),
                        }
                    } else {
                        ranges.push((c, c));
                    }
                }
                Token::Class { negated, ranges }
            }
            c => Token::Char(c),
        });
    }
    Some(out)
}

fn matches(tokens: &[Token], name: &[char]) -> bool {
    // reachable[j]: the tokens so far can match the first j characters.
    let mut reachable = vec![false; name.len() + 1];
    reachable[0] = true;
    for token in tokens {
        let mut next = vec![false; name.len() + 1];
        match token {
            Token::Star | Token::Stars => {
                let mut on = false;
                for j in 0..=name.len() {
                    if reachable[j] {
                        on = true;
                    } else if j > 0 && matches!(token, Token::Star) && name[j - 1] == '/' {
                        on = false;
                    }
                    next[j] = on;
                }
            }
            _ => {
                for j in 0..name.len() {
                    if reachable[j] && single(token, name[j]) {
                        next[j + 1] = true;
                    }
                }
            }
        }
        reachable = next;
    }
    reachable[name.len()]
}

fn single(token: &Token, c: char) -> bool {
    match token {
        Token::Char(expected) => *expected == c,
        Token::Any => c != '/',
        Token::Class { negated, ranges } => {
            let inside = ranges.iter().any(|(from, to)| (*from..=*to).contains(&c));
            inside != *negated && c != '/'
        }
        Token::Star | Token::Stars => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(pattern: &str, name: &str) -> bool {
        Glob::new(pattern).unwrap().matches(name)
    }

    #[test]
    fn matches_as_helm_does() {
        assert!(glob("*.yaml", "a.yaml"));
        assert!(!glob("*.yaml", "dir/a.yaml"));
        assert!(glob("**.yaml", "dir/a.yaml"));
        assert!(glob("files/**", "files/a/b.txt"));
        assert!(glob("files/*", "files/a"));
        assert!(!glob("files/*", "files/a/b"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "a/c"));
        assert!(glob("[a-c]x", "bx"));
        assert!(!glob("[!a-c]x", "bx"));
        assert!(glob("conf/{a,b}.conf", "conf/b.conf"));
        assert!(!glob("conf/{a,b}.conf", "conf/c.conf"));
        assert!(glob("\\*", "*"));
        assert!(!glob("\\*", "x"));
        assert!(glob("*", ""));
        assert!(glob("OWNERS", "OWNERS"));
        assert!(!glob("OWNERS", "OWNERS.md"));
        // The literal ends may not overlap.
        assert!(!glob("ab*ba", "aba"));
        assert!(glob("ab*ba", "abba"));
        assert!(glob("a*", "a"));
        assert!(!glob("a*/", "a"));
    }

    #[test]
    fn refuses_malformed_patterns() {
        assert_eq!(
            Glob::new("a[bc").unwrap_err(),
            "malformed glob pattern `a[bc`"
        );
        assert_eq!(
            Glob::new("{a,b").unwrap_err(),
            "malformed glob pattern `{a,b`: unclosed `{`"
        );
        let many = "{a,b,c,d}".repeat(5);
        assert!(Glob::new(&many).unwrap_err().contains("more than 256"));
    }

    #[test]
    fn many_stars_stay_linear() {
        let name = "a".repeat(5000);
        assert!(!glob(&format!("{}b", "*a".repeat(50)), &name));
    }
}

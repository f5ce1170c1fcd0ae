//! A deliberately small pattern language for the `pattern` field option.
//!
//! Server side only (feature `validate`): the embed sets the HTML `pattern` attribute and lets the
//! browser's `RegExp` check it, while the server, which has no `RegExp`, re-checks every
//! submission with this matcher. Why not the `regex` crate: a subset this small is all a contact
//! form needs, and its linear-time matcher leaves nothing for a hostile pattern to exploit.
//!
//! Syntax (always matched against the whole value, as HTML `pattern` does):
//! - a literal character; `\` followed by any non-alphanumeric character is that character;
//! - `.` any character; `\d` `\w` `\s` and their negations `\D` `\W` `\S` (ASCII classes);
//! - classes `[abc]`, `[a-z0-9_]`, negated `[^…]`, with `\d` `\w` `\s` and escapes inside;
//! - a quantifier after any atom: `?` `*` `+` `{n}` `{n,}` `{n,m}` (n, m ≤ 100).
//!
//! No groups, alternation or anchors. Matching simulates a small NFA over a set of positions, so
//! time is `O(value length × pattern size)` whatever the input: no catastrophic backtracking.

use std::string::String;
use std::vec::Vec;

/// Longest accepted pattern source, in characters.
pub(crate) const MAX_SOURCE: usize = 200;
const MAX_REPEAT: u32 = 100;
/// Upper bound on expanded NFA nodes (`a{100}` expands to 100 nodes).
const MAX_NODES: usize = 400;

#[derive(Clone, Debug, PartialEq)]
enum Item {
    Range(char, char),
    Digit(bool),
    Word(bool),
    Space(bool),
}

impl Item {
    fn matches(&self, c: char) -> bool {
        match *self {
            Item::Range(lo, hi) => lo <= c && c <= hi,
            Item::Digit(neg) => c.is_ascii_digit() != neg,
            Item::Word(neg) => (c.is_ascii_alphanumeric() || c == '_') != neg,
            Item::Space(neg) => matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c') != neg,
        }
    }
}

/// One character test: matches when any item matches (or none does, when negated).
/// `.` is an empty negated set.
#[derive(Clone, Debug, PartialEq)]
struct Atom {
    negated: bool,
    items: Vec<Item>,
}

impl Atom {
    fn matches(&self, c: char) -> bool {
        self.items.iter().any(|item| item.matches(c)) != self.negated
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Rep {
    One,
    Optional,
    Star,
}

/// A compiled pattern (server side only: the embed leaves `pattern` to the browser's own
/// `pattern` attribute and never compiles this module).
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    source: String,
    atoms: Vec<Atom>,
    /// Expanded program: (index into `atoms`, repetition).
    nodes: Vec<(u16, Rep)>,
}

impl Pattern {
    /// The pattern as written in the config (also the HTML `pattern` attribute).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Compiles `source`, or says why it is not in the supported subset.
    #[inline(never)]
    pub fn compile(source: &str) -> Result<Pattern, &'static str> {
        if super::char_len(source) > MAX_SOURCE {
            return Err("pattern is longer than 200 characters");
        }
        let mut atoms = Vec::new();
        let mut nodes = Vec::new();
        let mut chars = source.chars().peekable();
        while let Some(c) = chars.next() {
            let atom = match c {
                '.' => Atom {
                    negated: true,
                    items: Vec::new(),
                },
                '\\' => Atom {
                    negated: false,
                    items: std::vec![escape(chars.next())?],
                },
                '[' => class(&mut chars)?,
                '(' | ')' | '|' => return Err("groups and alternation are not supported"),
                '^' | '$' => return Err("anchors are not needed: the whole value is matched"),
                '?' | '*' | '+' | '{' => return Err("a quantifier must follow a character"),
                ']' | '}' => return Err("unbalanced bracket"),
                c => Atom {
                    negated: false,
                    items: std::vec![Item::Range(c, c)],
                },
            };
            let quantifier = match chars.peek() {
                Some('?') => Some((0, Some(1))),
                Some('*') => Some((0, None)),
                Some('+') => Some((1, None)),
                Some('{') => None,
                _ => Some((1, Some(1))),
            };
            let quantified = chars
                .peek()
                .is_some_and(|c| matches!(c, '?' | '*' | '+' | '{'));
            if quantified {
                chars.next();
            }
            let (min, max) = match quantifier {
                Some(bounds) => bounds,
                None => braces(&mut chars)?,
            };
            // A lazy marker changes nothing when the whole value must match.
            if quantified && chars.peek() == Some(&'?') {
                chars.next();
            }
            if matches!(chars.peek(), Some('?' | '*' | '+' | '{')) {
                return Err("a quantifier must follow a character");
            }
            let index = atoms.len() as u16;
            atoms.push(atom);
            for _ in 0..min {
                nodes.push((index, Rep::One));
            }
            match max {
                None => nodes.push((index, Rep::Star)),
                Some(max) => {
                    for _ in min..max {
                        nodes.push((index, Rep::Optional));
                    }
                }
            }
            if nodes.len() > MAX_NODES {
                return Err("pattern repeats too much");
            }
        }
        Ok(Pattern {
            source: source.into(),
            atoms,
            nodes,
        })
    }

    /// True when the whole of `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        let len = self.nodes.len();
        let mut current = std::vec![false; len + 1];
        let mut next = std::vec![false; len + 1];
        current[0] = true;
        self.skip_optional(&mut current);
        for c in value.chars() {
            next.iter_mut().for_each(|slot| *slot = false);
            let mut alive = false;
            for (i, &(atom, rep)) in self.nodes.iter().enumerate() {
                if current[i] && self.atoms[atom as usize].matches(c) {
                    let to = if rep == Rep::Star { i } else { i + 1 };
                    next[to] = true;
                    alive = true;
                }
            }
            if !alive {
                return false;
            }
            self.skip_optional(&mut next);
            std::mem::swap(&mut current, &mut next);
        }
        current[len]
    }

    /// Epsilon closure: an optional or starred node may be skipped. Skips only go forward, so
    /// one forward pass reaches the fixpoint.
    fn skip_optional(&self, states: &mut [bool]) {
        for (i, &(_, rep)) in self.nodes.iter().enumerate() {
            if states[i] && rep != Rep::One {
                states[i + 1] = true;
            }
        }
    }
}

fn escape(c: Option<char>) -> Result<Item, &'static str> {
    Ok(match c {
        Some('d') => Item::Digit(false),
        Some('D') => Item::Digit(true),
        Some('w') => Item::Word(false),
        Some('W') => Item::Word(true),
        Some('s') => Item::Space(false),
        Some('S') => Item::Space(true),
        Some(c) if !c.is_ascii_alphanumeric() => Item::Range(c, c),
        Some(_) => return Err("unsupported escape (use \\d \\w \\s or escape punctuation)"),
        None => return Err("pattern ends with a lone backslash"),
    })
}

fn class(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<Atom, &'static str> {
    let negated = chars.peek() == Some(&'^');
    if negated {
        chars.next();
    }
    let mut items = Vec::new();
    loop {
        let item = match chars.next() {
            None => return Err("unclosed character class"),
            Some(']') if !items.is_empty() => break,
            Some(']') => return Err("empty character class"),
            Some('[') => return Err("nested classes are not supported (escape [ as \\[)"),
            Some('\\') => escape(chars.next())?,
            Some(c) => Item::Range(c, c),
        };
        let item = match (item, chars.peek()) {
            (Item::Range(lo, _), Some('-')) => {
                chars.next();
                match chars.next() {
                    // A trailing `-` is literal, as in JS.
                    Some(']') => {
                        items.push(Item::Range(lo, lo));
                        items.push(Item::Range('-', '-'));
                        break;
                    }
                    Some('\\') => match escape(chars.next())? {
                        Item::Range(hi, _) if lo <= hi => Item::Range(lo, hi),
                        _ => return Err("invalid range in character class"),
                    },
                    Some(hi) if lo <= hi => Item::Range(lo, hi),
                    _ => return Err("invalid range in character class"),
                }
            }
            (item, _) => item,
        };
        items.push(item);
    }
    Ok(Atom { negated, items })
}

fn braces(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
) -> Result<(u32, Option<u32>), &'static str> {
    const BAD: &str = "invalid {n,m} repetition";
    let min = number(chars).ok_or(BAD)?;
    let max = match chars.next() {
        Some('}') => Some(min),
        Some(',') if chars.peek() == Some(&'}') => {
            chars.next();
            None
        }
        Some(',') => {
            let max = number(chars).ok_or(BAD)?;
            if chars.next() != Some('}') || max < min {
                return Err(BAD);
            }
            Some(max)
        }
        _ => return Err(BAD),
    };
    if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT) {
        return Err("repetition counts above 100 are not supported");
    }
    Ok((min, max))
}

fn number(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<u32> {
    let mut value: Option<u32> = None;
    while let Some(digit) = chars.peek().and_then(|c| c.to_digit(10)) {
        chars.next();
        value = Some(value.unwrap_or(0).saturating_mul(10).saturating_add(digit));
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_match(pattern: &str, value: &str) -> bool {
        Pattern::compile(pattern).expect(pattern).matches(value)
    }

    #[test]
    fn literals_match_whole_value() {
        assert!(is_match("abc", "abc"));
        assert!(!is_match("abc", "abcd"));
        assert!(!is_match("abc", "xabc"));
        assert!(!is_match("abc", "ab"));
        assert!(is_match("", ""));
        assert!(!is_match("", "a"));
    }

    #[test]
    fn quantifiers() {
        assert!(is_match("a?b", "b"));
        assert!(is_match("a?b", "ab"));
        assert!(!is_match("a?b", "aab"));
        assert!(is_match("a*b", "b"));
        assert!(is_match("a*b", "aaaab"));
        assert!(!is_match("a+b", "b"));
        assert!(is_match("a+b", "aab"));
        assert!(is_match("\\d{3}", "123"));
        assert!(!is_match("\\d{3}", "12"));
        assert!(!is_match("\\d{3}", "1234"));
        assert!(is_match("\\d{2,}", "12345"));
        assert!(!is_match("\\d{2,}", "1"));
        assert!(is_match("\\d{2,4}", "123"));
        assert!(!is_match("\\d{2,4}", "12345"));
        assert!(is_match("x{0}", ""));
    }

    #[test]
    fn classes_and_escapes() {
        assert!(is_match("[A-Z]{2}-\\d+", "DE-123"));
        assert!(!is_match("[A-Z]{2}-\\d+", "de-123"));
        assert!(is_match("[^0-9]+", "abc"));
        assert!(!is_match("[^0-9]+", "ab1"));
        assert!(is_match("[a-z_\\d]+", "a_1"));
        assert!(is_match("[+-]\\d", "-1"));
        assert!(is_match("[a-]", "-"));
        assert!(is_match("\\w+\\s\\W", "ab_9 !"));
        assert!(is_match("\\.", "."));
        assert!(!is_match("\\.", "a"));
        assert!(is_match(".", "ü"));
        assert!(is_match("\\S+", "äöü"));
        assert!(is_match("[\\]]", "]"));
    }

    #[test]
    fn realistic_patterns() {
        let postcode = "\\d{5}";
        assert!(is_match(postcode, "10115"));
        assert!(!is_match(postcode, "1011"));
        let order = "[A-Z]{3}-\\d{4,6}";
        assert!(is_match(order, "ABC-12345"));
        assert!(!is_match(order, "ABC-123"));
    }

    #[test]
    fn rejects_unsupported_syntax() {
        for bad in [
            "(a)", "a|b", "^a", "a$", "*a", "a**", "a{2", "a{3,1}", "a{101}", "[a", "[]", "[z-a]",
            "\\q", "\\", "]", "a{,2}", "a?{2}",
        ] {
            assert!(Pattern::compile(bad).is_err(), "{bad} should be rejected");
        }
        assert!(Pattern::compile(&"a".repeat(201)).is_err());
        assert!(Pattern::compile("a{100}b{100}c{100}d{100}e").is_err());
    }

    #[test]
    fn no_catastrophic_backtracking() {
        // `(a*)*b`-style inputs blow up backtracking engines; this one stays linear.
        let pattern = Pattern::compile("a*a*a*a*a*a*a*a*a*a*b").expect("compiles");
        let input = "a".repeat(10_000);
        assert!(!pattern.matches(&input));
    }
}

//! Sentences generated from a Lark grammar, for custom tools whose `format` is
//! `{type: "grammar", syntax: "lark", definition}`: the model's free-form input must parse
//! with the grammar.
//!
//! Hand-written because no Rust crate reads Lark grammars (Lark is a Python library, and
//! generating from a grammar is not something parsers do). The subset covers what tool
//! grammars use: rules and terminals (`name: ...`, `NAME: ...`, with `?`/`!` prefixes and
//! `.priority` suffixes ignored), alternatives (`|`, also on continuation lines), literals
//! (`"..."`, with the `i` flag ignored, and `"a".."z"` ranges), regular expressions
//! (`/.../flags`, sampled with `generate::sample_regex`), groups `( )`, optional `[ ]`,
//! the `?`, `*`, `+` and `~ n` / `~ n..m` operators, `%import common.X` for the usual
//! common terminals, and `%ignore` (when present, tokens are joined with a space, which the
//! ignored whitespace allows; otherwise they are joined directly).
//!
//! The walk starts at `start`. At each choice it prefers an alternative whose literals
//! appear in the prompt (so "select the users table" picks `"select"` branches), else the
//! first; repetitions take one item; below a depth of 12 it takes the alternative with the
//! fewest rule references, and optional parts are left out, so recursion always ends.

use super::structured::sample_regex;
use std::collections::HashMap;

/// A sentence of `grammar` (Lark syntax) fit to `prompt`, or `None` when the grammar does
/// not parse or has no `start` rule.
///
/// ```
/// use openai_mock::services::model::lark::sentence;
/// let grammar = "start: \"add \" NUMBER \" \" NUMBER\n%import common.NUMBER";
/// let text = sentence(grammar, "add two numbers").unwrap();
/// assert!(text.starts_with("add "), "{text}");
/// ```
pub fn sentence(grammar: &str, prompt: &str) -> Option<String> {
    let rules = parse(grammar)?;
    let start = rules.get("start")?;
    let walk = Walk {
        rules: &rules,
        prompt: prompt.to_lowercase(),
    };
    let mut tokens = Vec::new();
    walk.expand(start, 0, &mut tokens)?;
    let separator = if grammar
        .lines()
        .any(|l| l.trim_start().starts_with("%ignore"))
    {
        " "
    } else {
        ""
    };
    Some(
        tokens
            .into_iter()
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join(separator),
    )
}

/// One parsed expression.
#[derive(Debug, Clone)]
enum Expr {
    Literal(String),
    Range(char, char),
    Regex(String),
    Name(String),
    Sequence(Vec<Expr>),
    Choice(Vec<Expr>),
    Repeat(Box<Expr>, usize, usize),
}

/// The usual `common` terminals, as regular expressions.
const COMMON: &[(&str, &str)] = &[
    ("DIGIT", "[0-9]"),
    ("HEXDIGIT", "[0-9a-f]"),
    ("INT", "[0-9]+"),
    ("SIGNED_INT", "-?[0-9]+"),
    ("DECIMAL", "[0-9]+\\.[0-9]+"),
    ("FLOAT", "[0-9]+\\.[0-9]+"),
    ("SIGNED_FLOAT", "-?[0-9]+\\.[0-9]+"),
    ("NUMBER", "[0-9]+"),
    ("SIGNED_NUMBER", "-?[0-9]+"),
    ("LETTER", "[a-z]"),
    ("LCASE_LETTER", "[a-z]"),
    ("UCASE_LETTER", "[A-Z]"),
    ("WORD", "[a-z]+"),
    ("CNAME", "[a-z_][a-z0-9_]*"),
    ("ESCAPED_STRING", "\"[a-z]+\""),
    ("WS", " "),
    ("WS_INLINE", " "),
    ("NEWLINE", "\n"),
    ("CR", "\r"),
    ("LF", "\n"),
];

fn parse(grammar: &str) -> Option<HashMap<String, Expr>> {
    let mut definitions: Vec<String> = Vec::new();
    let mut rules = HashMap::new();
    for line in grammar.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with("//") {
            continue;
        }
        if let Some(import) = trimmed.strip_prefix("%import") {
            for name in imported(import) {
                if let Some((_, pattern)) = COMMON.iter().find(|(n, _)| *n == name) {
                    rules.insert(name.to_string(), Expr::Regex((*pattern).to_string()));
                }
            }
            continue;
        }
        if trimmed.starts_with('%') {
            continue;
        }
        match definitions.last_mut() {
            Some(last) if trimmed.starts_with('|') => {
                last.push(' ');
                last.push_str(trimmed);
            }
            _ => definitions.push(trimmed.to_string()),
        }
    }
    for definition in definitions {
        let colon = definition.find(':')?;
        let name = definition[..colon]
            .trim()
            .trim_start_matches(['?', '!'])
            .split('.')
            .next()?
            .to_string();
        let tokens = tokenize(&definition[colon + 1..])?;
        let mut parser = Parser { tokens, at: 0 };
        let expr = parser.choice()?;
        if parser.at != parser.tokens.len() {
            return None;
        }
        rules.insert(name, expr);
    }
    Some(rules)
}

/// The names a `%import common.X` or `%import common (X, Y)` line brings in.
fn imported(line: &str) -> Vec<&str> {
    let line = line.trim();
    if let Some(list) = line.split_once('(').map(|(_, rest)| rest) {
        return list
            .trim_end_matches(')')
            .split(',')
            .map(str::trim)
            .collect();
    }
    let name = line.split_whitespace().next().unwrap_or("");
    name.rsplit('.').next().into_iter().collect()
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Literal(String),
    Regex(String),
    Name(String),
    Symbol(char),
    Range,
    Number(usize),
}

fn tokenize(text: &str) -> Option<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            _ if c.is_whitespace() => i += 1,
            '"' | '/' => {
                let mut value = String::new();
                i += 1;
                while i < chars.len() && chars[i] != c {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        let next = chars[i + 1];
                        if c == '"' {
                            value.push(match next {
                                'n' => '\n',
                                't' => '\t',
                                other => other,
                            });
                        } else {
                            value.push('\\');
                            value.push(next);
                        }
                        i += 2;
                        continue;
                    }
                    value.push(chars[i]);
                    i += 1;
                }
                if i >= chars.len() {
                    return None;
                }
                i += 1;
                // Flags after a literal or a regular expression (`"select"i`, `/x/is`).
                while i < chars.len() && chars[i].is_ascii_lowercase() {
                    i += 1;
                }
                tokens.push(if c == '"' {
                    Token::Literal(value)
                } else {
                    Token::Regex(value)
                });
            }
            '.' if chars.get(i + 1) == Some(&'.') => {
                tokens.push(Token::Range);
                i += 2;
            }
            '|' | '(' | ')' | '[' | ']' | '?' | '*' | '+' | '~' => {
                tokens.push(Token::Symbol(c));
                i += 1;
            }
            _ if c.is_ascii_digit() => {
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                let digits: String = chars[start..i].iter().collect();
                tokens.push(Token::Number(digits.parse().ok()?));
            }
            _ if c.is_alphanumeric() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                tokens.push(Token::Name(chars[start..i].iter().collect()));
            }
            _ => return None,
        }
    }
    Some(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn choice(&mut self) -> Option<Expr> {
        let mut alternatives = vec![self.sequence()?];
        while self.peek() == Some(&Token::Symbol('|')) {
            self.at += 1;
            alternatives.push(self.sequence()?);
        }
        Some(if alternatives.len() == 1 {
            alternatives.remove(0)
        } else {
            Expr::Choice(alternatives)
        })
    }

    fn sequence(&mut self) -> Option<Expr> {
        let mut items = Vec::new();
        while let Some(token) = self.peek() {
            if matches!(token, Token::Symbol('|' | ')' | ']')) {
                break;
            }
            items.push(self.item()?);
        }
        Some(Expr::Sequence(items))
    }

    fn item(&mut self) -> Option<Expr> {
        let atom = self.atom()?;
        let repeated = match self.peek() {
            Some(Token::Symbol('?')) => Expr::Repeat(Box::new(atom), 0, 1),
            Some(Token::Symbol('*')) => Expr::Repeat(Box::new(atom), 0, usize::MAX),
            Some(Token::Symbol('+')) => Expr::Repeat(Box::new(atom), 1, usize::MAX),
            Some(Token::Symbol('~')) => {
                self.at += 1;
                let Some(Token::Number(low)) = self.peek().cloned() else {
                    return None;
                };
                let mut high = low;
                if self.tokens.get(self.at + 1) == Some(&Token::Range) {
                    if let Some(Token::Number(h)) = self.tokens.get(self.at + 2) {
                        high = *h;
                        self.at += 2;
                    }
                }
                Expr::Repeat(Box::new(atom), low, high)
            }
            _ => return Some(atom),
        };
        self.at += 1;
        Some(repeated)
    }

    fn atom(&mut self) -> Option<Expr> {
        let token = self.peek()?.clone();
        self.at += 1;
        match token {
            Token::Literal(text) => {
                if self.peek() == Some(&Token::Range) {
                    if let Some(Token::Literal(high)) = self.tokens.get(self.at + 1).cloned() {
                        self.at += 2;
                        let low = text.chars().next()?;
                        return Some(Expr::Range(low, high.chars().next()?));
                    }
                }
                Some(Expr::Literal(text))
            }
            Token::Regex(pattern) => Some(Expr::Regex(pattern)),
            Token::Name(name) => Some(Expr::Name(name)),
            Token::Symbol(open @ ('(' | '[')) => {
                let inner = self.choice()?;
                let close = if open == '(' { ')' } else { ']' };
                if self.peek() != Some(&Token::Symbol(close)) {
                    return None;
                }
                self.at += 1;
                Some(if open == '[' {
                    Expr::Repeat(Box::new(inner), 0, 1)
                } else {
                    inner
                })
            }
            _ => None,
        }
    }
}

/// Depth below which the walk takes the shortest way out.
const DEEP: usize = 12;
/// Depth at which the walk gives up (a grammar with no way out).
const GIVE_UP: usize = 64;

struct Walk<'a> {
    rules: &'a HashMap<String, Expr>,
    prompt: String,
}

impl Walk<'_> {
    fn expand(&self, expr: &Expr, depth: usize, out: &mut Vec<String>) -> Option<()> {
        if depth > GIVE_UP {
            return None;
        }
        match expr {
            Expr::Literal(text) => out.push(text.clone()),
            Expr::Range(low, high) => out.push((*low).min(*high).to_string()),
            Expr::Regex(pattern) => out.push(sample_regex(pattern)?),
            Expr::Name(name) => self.expand(self.rules.get(name)?, depth + 1, out)?,
            Expr::Sequence(items) => {
                for item in items {
                    self.expand(item, depth, out)?;
                }
            }
            Expr::Choice(alternatives) => {
                let chosen = if depth >= DEEP {
                    alternatives.iter().min_by_key(|a| references(a))
                } else {
                    alternatives
                        .iter()
                        .find(|a| self.mentioned(a))
                        .or(alternatives.first())
                };
                self.expand(chosen?, depth + 1, out)?;
            }
            Expr::Repeat(inner, low, high) => {
                let wanted = (*low).max(1);
                let times = if depth >= DEEP {
                    *low
                } else if *low == 0 && *high == 1 && !self.mentioned(inner) {
                    0
                } else {
                    wanted.min(*high)
                };
                for _ in 0..times {
                    self.expand(inner, depth + 1, out)?;
                }
            }
        }
        Some(())
    }

    /// Whether one of the literals directly in `expr` appears in the prompt.
    fn mentioned(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Literal(text) => {
                let word = text.trim().to_lowercase();
                word.chars().any(char::is_alphanumeric) && self.prompt.contains(&word)
            }
            Expr::Sequence(items) | Expr::Choice(items) => items.iter().any(|i| self.mentioned(i)),
            Expr::Repeat(inner, _, _) => self.mentioned(inner),
            _ => false,
        }
    }
}

/// How many rule references `expr` makes (the walk's measure of how far it leads).
fn references(expr: &Expr) -> usize {
    match expr {
        Expr::Name(_) => 1,
        Expr::Sequence(items) | Expr::Choice(items) => items.iter().map(references).sum(),
        Expr::Repeat(inner, low, _) => references(inner) * low,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_follow_rules_alternatives_and_repetition() {
        let grammar = r#"
start: expr
?expr: term (("+" | "-") term)*
term: NUMBER | "(" expr ")"
%import common.NUMBER
%ignore " "
"#;
        let text = sentence(grammar, "compute a sum").unwrap();
        let shape = regex::Regex::new(r"^[0-9]+( [+-] [0-9]+)*$").unwrap();
        assert!(shape.is_match(&text), "{text}");

        let sql = r#"
start: "SELECT " columns " FROM " TABLE [" WHERE " condition] ";"
columns: "*" | COLUMN ("," COLUMN)*
condition: COLUMN " = " /[0-9]+/
COLUMN: /[a-z_]+/
TABLE: "users" | "orders"
"#;
        let text = sentence(sql, "count the orders where id = 4").unwrap();
        let shape = regex::Regex::new(
            r"^SELECT (\*|[a-z_]+(,[a-z_]+)*) FROM (users|orders)( WHERE [a-z_]+ = [0-9]+)?;$",
        )
        .unwrap();
        assert!(shape.is_match(&text), "{text}");
        assert!(text.contains("orders"), "{text}");

        let deep = "start: a\na: \"(\" a \")\" | \"x\"";
        let nested = sentence(deep, "").unwrap();
        let open = nested.matches('(').count();
        assert!(open > 0 && open == nested.matches(')').count(), "{nested}");
        assert_eq!(nested.trim_matches(['(', ')']), "x");
        assert_eq!(sentence("start: \"a\"..\"z\" ~ 3", "").unwrap(), "aaa");
        assert_eq!(sentence("nostart: \"a\"", ""), None);
        assert_eq!(sentence("start: \"unclosed", ""), None);
    }
}

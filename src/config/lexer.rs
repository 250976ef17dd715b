//! Tokens of the `opensips.cfg` language with their positions, so every error can name
//! `file:line:col`.

use super::ConfigError;

/// A position in the configuration file (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1, counted in characters.
    pub col: u32,
}

/// One token of the configuration language.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A name: letters, digits, `_`, `.`, `-`, `:`, `/`, `[`, `]` glued (so `udp:127.0.0.1:5060`
    /// and `tcp:[::1]:5060` are one word, as OpenSIPS's lexer reads them).
    Word(String),
    /// A quoted string with its escapes resolved.
    Str(String),
    /// Punctuation: `=` `(` `)` `{` `}` `,` `;`.
    Punct(char),
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Where it starts.
    pub pos: Pos,
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '_' | '.' | '-' | ':' | '/' | '[' | ']' | '$' | '*' | '@' | '+' | '!'
        )
}

/// Splits a configuration text into tokens; `#` and `//` start line comments, `/* */` block
/// comments.
pub fn tokenize(src: &str) -> Result<Vec<Token>, ConfigError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1u32, 1u32);
    let advance = |i: &mut usize, line: &mut u32, col: &mut u32, c: char| {
        *i += 1;
        if c == '\n' {
            *line += 1;
            *col = 1;
        } else {
            *col += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let pos = Pos { line, col };
        if c.is_whitespace() {
            advance(&mut i, &mut line, &mut col, c);
        } else if c == '#' || (c == '/' && chars.get(i + 1) == Some(&'/')) {
            while let Some(&ch) = chars.get(i).filter(|&&ch| ch != '\n') {
                advance(&mut i, &mut line, &mut col, ch);
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            advance(&mut i, &mut line, &mut col, '/');
            advance(&mut i, &mut line, &mut col, '*');
            loop {
                match chars.get(i) {
                    None => return Err(ConfigError::at(pos, "unterminated /* comment")),
                    Some('*') if chars.get(i + 1) == Some(&'/') => {
                        advance(&mut i, &mut line, &mut col, '*');
                        advance(&mut i, &mut line, &mut col, '/');
                        break;
                    }
                    Some(&ch) => advance(&mut i, &mut line, &mut col, ch),
                }
            }
        } else if c == '"' || c == '\'' {
            let quote = c;
            advance(&mut i, &mut line, &mut col, c);
            let mut s = String::new();
            loop {
                match chars.get(i) {
                    None | Some('\n') => {
                        return Err(ConfigError::at(pos, "unterminated string"));
                    }
                    Some('\\') => {
                        advance(&mut i, &mut line, &mut col, '\\');
                        let Some(&e) = chars.get(i) else {
                            return Err(ConfigError::at(pos, "unterminated string"));
                        };
                        s.push(match e {
                            'n' => '\n',
                            'r' => '\r',
                            't' => '\t',
                            other => other,
                        });
                        advance(&mut i, &mut line, &mut col, e);
                    }
                    Some(&ch) if ch == quote => {
                        advance(&mut i, &mut line, &mut col, ch);
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        advance(&mut i, &mut line, &mut col, ch);
                    }
                }
            }
            out.push(Token {
                tok: Tok::Str(s),
                pos,
            });
        } else if matches!(c, '=' | '(' | ')' | '{' | '}' | ',' | ';') {
            advance(&mut i, &mut line, &mut col, c);
            out.push(Token {
                tok: Tok::Punct(c),
                pos,
            });
        } else if is_word(c) {
            let mut s = String::new();
            while let Some(&ch) = chars.get(i) {
                if !is_word(ch) {
                    break;
                }
                s.push(ch);
                advance(&mut i, &mut line, &mut col, ch);
            }
            out.push(Token {
                tok: Tok::Word(s),
                pos,
            });
        } else {
            return Err(ConfigError::at(pos, format!("unexpected character {c:?}")));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_addresses_whole() {
        let t = tokenize("listen=tcp:[::1]:5060 # comment\nalias=\"a\\\"b\"").unwrap();
        assert_eq!(t[0].tok, Tok::Word("listen".into()));
        assert_eq!(t[2].tok, Tok::Word("tcp:[::1]:5060".into()));
        assert_eq!(t[3].pos, Pos { line: 2, col: 1 });
        assert_eq!(t[5].tok, Tok::Str("a\"b".into()));
    }

    #[test]
    fn unterminated_string_names_its_start() {
        let e = tokenize("x=1\n  y=\"abc\n").unwrap_err();
        assert_eq!(e.pos, Some(Pos { line: 2, col: 5 }));
    }
}

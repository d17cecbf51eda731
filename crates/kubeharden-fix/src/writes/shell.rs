//! A shell script read the way `sh` splits it, never run: its words and operators,
//! its redirects, subshells and command substitutions.

use super::commands::{command_writes, expand_home, place};
use super::Sink;

/// A piece of a shell script.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    /// `;`, `&&`, `||`, `|`, `&` or a newline: the end of a command.
    End,
    /// `(` or `$(`: a subshell begins, whose `cd` ends with it.
    Open,
    Close,
    /// `>`, `>>`, `>|`, `&>`, `2>`, `<>`: the next word is written.
    WriteTo,
    /// `<`, `<<<`: the next word is read.
    ReadFrom,
}

/// What a shell script writes, run in `cwd`: each command's writes and its redirects.
pub(super) fn script_writes(script: &str, cwd: Option<String>, out: &mut Sink) {
    // The working directory, one for each subshell the script is in.
    let mut cwds = vec![cwd];
    // The home directory, one for each subshell, as `HOME=` and `export` set it.
    let entry = out.home.clone();
    let mut homes = vec![entry.clone()];
    let mut words = Vec::new();
    let mut tokens = tokenize(script).into_iter().peekable();
    while let Some(token) = tokens.next() {
        let cwd = cwds.last_mut().expect("the script's own directory");
        match token {
            Token::Word(w) => words.push(w),
            Token::WriteTo | Token::ReadFrom => {
                let target = tokens.next_if(|t| matches!(t, Token::Word(_)));
                if let (Token::WriteTo, Some(Token::Word(target))) = (&token, target) {
                    let home = homes.last().cloned().flatten();
                    let target = expand_home(&target, home.as_deref());
                    if let Some(write) = place(&target, cwd.as_deref()) {
                        out.add("redirect", write);
                    }
                }
            }
            Token::End | Token::Open | Token::Close => {
                let home = homes.last_mut().expect("the script's own home");
                out.home = home.clone();
                command_writes(&std::mem::take(&mut words), cwd, out);
                *home = out.home.clone();
                if token == Token::Open {
                    let inner = cwd.clone();
                    cwds.push(inner);
                    homes.push(out.home.clone());
                } else if token == Token::Close && cwds.len() > 1 {
                    cwds.pop();
                    homes.pop();
                }
            }
        }
    }
    let cwd = cwds.last_mut().expect("the script's own directory");
    out.home = homes.last().cloned().flatten();
    command_writes(&words, cwd, out);
    // A shell's variables end with it.
    out.home = entry;
}

/// A command substitution's text (`$(...)`, or between backquotes when `close` is
/// one), from `*i`, just after its opening, to its closing, which `*i` is moved past.
fn substitution(chars: &[char], i: &mut usize, close: char) -> String {
    let mut depth = 0;
    let mut quote = None;
    let from = *i;
    while let Some(&c) = chars.get(*i) {
        *i += 1;
        match (c, quote) {
            ('\\', _) => *i += 1,
            ('\'' | '"', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            (_, Some(_)) => {}
            ('(', None) if close == ')' => depth += 1,
            (c, None) if c == close && depth == 0 => {
                return chars[from..*i - 1].iter().collect();
            }
            (')', None) => depth -= 1,
            _ => {}
        }
    }
    chars[from..].iter().collect()
}

/// The command substitutions of the command just ended, each as a subshell of its
/// own (their commands run before it, in its working directory).
fn end_command(tokens: &mut Vec<Token>, nested: &mut Vec<String>) {
    tokens.push(Token::End);
    for script in nested.drain(..) {
        tokens.push(Token::Open);
        tokens.extend(tokenize(&script));
        tokens.push(Token::Close);
    }
}

/// A shell script's words and operators, as `sh` splits them: quotes removed,
/// comments and heredoc bodies skipped, a command substitution (`$(...)`, backquotes)
/// kept as a word of its own (`$(…)`, which no path settles) whose commands follow
/// its command's, in a subshell.
fn tokenize(script: &str) -> Vec<Token> {
    let chars: Vec<char> = script.chars().collect();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut tokens = Vec::new();
    let mut word = String::new();
    // Whether the word has a quoted part: `""` is a word, `"2">` names no descriptor.
    let mut quoted = false;
    // The heredocs whose bodies begin after the line's end, by their delimiters.
    let mut heredocs: Vec<String> = Vec::new();
    // The command substitutions of the command being read.
    let mut nested: Vec<String> = Vec::new();
    let flush = |tokens: &mut Vec<Token>, word: &mut String, quoted: &mut bool| {
        if !word.is_empty() || *quoted {
            tokens.push(Token::Word(std::mem::take(word)));
        }
        *quoted = false;
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '\\' => {
                if at(i) != '\n' && i < chars.len() {
                    word.push(at(i));
                }
                i += 1;
            }
            '\'' => {
                while i < chars.len() && at(i) != '\'' {
                    word.push(at(i));
                    i += 1;
                }
                i += 1;
                quoted = true;
            }
            '"' => {
                while i < chars.len() && at(i) != '"' {
                    if at(i) == '\\' && matches!(at(i + 1), '"' | '\\' | '$' | '`') {
                        i += 1;
                    } else if (at(i) == '$' && at(i + 1) == '(') || at(i) == '`' {
                        let close = if at(i) == '`' { '`' } else { ')' };
                        i += if close == '`' { 1 } else { 2 };
                        nested.push(substitution(&chars, &mut i, close));
                        word.push_str("$(…)");
                        continue;
                    }
                    word.push(at(i));
                    i += 1;
                }
                i += 1;
                quoted = true;
            }
            ' ' | '\t' | '\r' => flush(&mut tokens, &mut word, &mut quoted),
            '\n' => {
                flush(&mut tokens, &mut word, &mut quoted);
                end_command(&mut tokens, &mut nested);
                for delimiter in heredocs.drain(..) {
                    while i < chars.len() {
                        let end = (i..chars.len()).find(|&j| chars[j] == '\n');
                        let end = end.unwrap_or(chars.len());
                        let line: String = chars[i..end].iter().collect();
                        i = end + 1;
                        if line.trim() == delimiter {
                            break;
                        }
                    }
                }
            }
            '#' if word.is_empty() && !quoted => {
                while i < chars.len() && at(i) != '\n' {
                    i += 1;
                }
            }
            '&' if at(i) == '>' => {
                flush(&mut tokens, &mut word, &mut quoted);
                i += if at(i + 1) == '>' { 2 } else { 1 };
                tokens.push(Token::WriteTo);
            }
            ';' | '&' | '|' => {
                flush(&mut tokens, &mut word, &mut quoted);
                if at(i) == c || (c == '|' && at(i) == '&') {
                    i += 1;
                }
                end_command(&mut tokens, &mut nested);
            }
            '`' => {
                nested.push(substitution(&chars, &mut i, '`'));
                word.push_str("$(…)");
            }
            '(' if word.ends_with('$') => {
                word.pop();
                nested.push(substitution(&chars, &mut i, ')'));
                word.push_str("$(…)");
            }
            '(' => {
                flush(&mut tokens, &mut word, &mut quoted);
                tokens.push(Token::Open);
            }
            ')' => {
                flush(&mut tokens, &mut word, &mut quoted);
                tokens.push(Token::Close);
            }
            '>' | '<' => {
                // A file descriptor before it (`2>`) is no word.
                if !quoted && word.chars().all(|d| d.is_ascii_digit()) {
                    word.clear();
                }
                flush(&mut tokens, &mut word, &mut quoted);
                let dup = |i: &mut usize| {
                    // `>&2`, `<&-`: a descriptor duplicated or closed, no file.
                    let from = *i;
                    while at(*i).is_ascii_digit() || at(*i) == '-' {
                        *i += 1;
                    }
                    *i > from
                };
                if c == '>' {
                    if matches!(at(i), '>' | '|') {
                        i += 1;
                    }
                    if at(i) == '&' {
                        i += 1;
                        if dup(&mut i) {
                            continue;
                        }
                    }
                    tokens.push(Token::WriteTo);
                } else if at(i) == '<' && at(i + 1) == '<' {
                    i += 2;
                    tokens.push(Token::ReadFrom);
                } else if at(i) == '<' {
                    // A heredoc: its delimiter, unquoted; its body follows the line.
                    i += 1;
                    if at(i) == '-' {
                        i += 1;
                    }
                    while matches!(at(i), ' ' | '\t') {
                        i += 1;
                    }
                    let mut delimiter = String::new();
                    while i < chars.len() && !" \t\n;&|<>()".contains(at(i)) {
                        if !matches!(at(i), '\'' | '"' | '\\') {
                            delimiter.push(at(i));
                        }
                        i += 1;
                    }
                    heredocs.push(delimiter);
                } else if at(i) == '&' {
                    i += 1;
                    dup(&mut i);
                } else if at(i) == '>' {
                    i += 1;
                    tokens.push(Token::WriteTo);
                } else {
                    tokens.push(Token::ReadFrom);
                }
            }
            _ => word.push(c),
        }
    }
    flush(&mut tokens, &mut word, &mut quoted);
    if !nested.is_empty() {
        end_command(&mut tokens, &mut nested);
    }
    tokens
}

//! Named templates (`define "NAME"` in `_helpers.tpl` and the like): a field a
//! template writes through `include "NAME" ARG` was written by the named template's
//! body, so the search goes on there (docs/source-mapping.md).
//!
//! What the body reads is read as the include passes it: with the root context (`.`
//! or `$` outside any `with` or `range`) its `.Values.X` are the chart's values;
//! with `(dict "k" .Values.X ...)` its `.k` is `.Values.X`; with `.Values.X` its `.`
//! is that value. Anything else (a variable, a computed value) leaves the body's
//! values unnamed: the line is told, not a value that might be another.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::helm_blocks::actions;

/// The body of one `define`: the file it is in, and the index of its first line.
pub(crate) struct Define {
    pub file: PathBuf,
    pub first: usize,
    pub lines: Vec<String>,
    /// The whole file's lines, to quote them as written.
    pub file_lines: std::sync::Arc<[String]>,
}

impl Define {
    /// Whether the body writes a key of its own (`securityContext:`), rather than
    /// only printing what it is given (`tpl (toYaml .value) .context`).
    pub(crate) fn writes_keys(&self) -> bool {
        self.lines.iter().any(|line| {
            let text = outside_actions(line);
            let text = text.trim_start().trim_start_matches("- ");
            text.split_once(':')
                .is_some_and(|(key, _)| !key.trim().is_empty() && !key.contains(' '))
        })
    }
}

/// The text of a line outside its `{{ ... }}` actions.
fn outside_actions(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        match rest[start..].find("}}") {
            Some(len) => rest = &rest[start + len + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// The named templates of a chart and its subcharts, folders and archives alike
/// (helm shares one namespace of names across them).
#[derive(Default)]
pub(crate) struct Defines {
    by_name: HashMap<String, Define>,
}

/// The most template files read for named templates, so that a crafted chart of
/// countless files costs a bounded amount.
const MOST_FILES: usize = 2_000;

impl Defines {
    pub(crate) fn read(dir: &Path) -> Defines {
        let mut defines = Defines::default();
        let mut files = Vec::new();
        if dir.is_file() {
            files.extend(crate::archive::templates(dir));
        } else {
            templates_of(dir, &mut files, 0);
        }
        for (file, text) in files.into_iter().take(MOST_FILES) {
            defines.add(file, &text);
        }
        defines
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Define> {
        self.by_name.get(name)
    }

    /// Every named template.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Define> {
        self.by_name.values()
    }

    /// Takes in each `define` of a file (the first of a name wins, as it is the one
    /// a reader finds; helm's choice among duplicates is by load order).
    fn add(&mut self, file: PathBuf, text: &str) {
        if !text.contains("define") {
            return;
        }
        let file_lines: std::sync::Arc<[String]> = text.lines().map(str::to_string).collect();
        let mut stack: Vec<Option<(String, usize)>> = Vec::new();
        for (i, line) in file_lines.iter().enumerate() {
            for action in actions(line) {
                let word = action.split_whitespace().next().unwrap_or_default();
                match word {
                    "define" => stack.push(quoted(&action).map(|name| (name, i + 1))),
                    "if" | "with" | "range" | "block" => stack.push(None),
                    "end" => {
                        if let Some(Some((name, first))) = stack.pop() {
                            let lines = file_lines[first.min(i)..i].to_vec();
                            self.by_name.entry(name).or_insert(Define {
                                file: file.clone(),
                                first,
                                lines,
                                file_lines: file_lines.clone(),
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The template files under a chart folder: its `templates/` and its subcharts' (in
/// folders or archives under `charts/`).
fn templates_of(dir: &Path, out: &mut Vec<(PathBuf, String)>, depth: usize) {
    if depth > 8 || out.len() >= MOST_FILES {
        return;
    }
    files_under(&dir.join("templates"), out, 0);
    let Ok(entries) = std::fs::read_dir(dir.join("charts")) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            templates_of(&path, out, depth + 1);
        } else if path.extension().is_some_and(|e| e == "tgz") {
            out.extend(crate::archive::templates(&path));
        }
    }
}

/// The text files under `dir` (no symlinked folders: a loop must not be followed).
fn files_under(dir: &Path, out: &mut Vec<(PathBuf, String)>, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if out.len() >= MOST_FILES || depth > 8 {
            return;
        }
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => files_under(&path, out, depth + 1),
            Ok(kind) if kind.is_file() => {
                let small = entry.metadata().is_ok_and(|m| m.len() <= 4 << 20);
                if let Some(text) = small.then(|| std::fs::read_to_string(&path).ok()).flatten() {
                    out.push((path, text));
                }
            }
            _ => {}
        }
    }
}

/// The first quoted string of an action: a template's name.
fn quoted(action: &str) -> Option<String> {
    let start = action.find('"')? + 1;
    let len = action[start..].find('"')?;
    Some(action[start..start + len].to_string())
}

/// What an include passes its named template as `.`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Arg {
    /// The root context (`.` outside any block, or `$`).
    Root,
    /// A chart value (`.Values.X`): `X`.
    Value(String),
    /// `(dict "k" EXPR ...)`: each key and what it is given.
    Dict(Vec<(String, String)>),
    /// Something else: what the body reads through it is not known.
    Other,
}

/// A call of a named template on a line: `include "NAME" ARG` or `template "NAME" ARG`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Call {
    pub name: String,
    pub arg: Arg,
    /// Whether it passes `.` (the root context, or what a `with` or `range` set).
    pub dot: bool,
}

/// The named templates a line calls. `root_dot`: whether `.` is the root context
/// there (no `with` or `range` around the line).
pub(crate) fn calls(line: &str, root_dot: bool) -> Vec<Call> {
    let mut out = Vec::new();
    for action in actions(line) {
        let mut rest = action.as_str();
        while let Some(at) = find_call(rest) {
            rest = &rest[at..];
            let Some(name) = quoted(rest) else {
                break;
            };
            let after_name = rest.find('"').map_or(0, |q| q + name.len() + 2);
            let arg_text = rest[after_name..].trim_start();
            let term = first_term(arg_text);
            out.push(Call {
                name,
                arg: arg(term, root_dot),
                dot: term == ".",
            });
            rest = &rest[after_name..];
        }
    }
    out
}

/// Where the next `include "` or `template "` starts.
fn find_call(text: &str) -> Option<usize> {
    ["include \"", "template \""]
        .iter()
        .filter_map(|word| text.find(word))
        .min()
}

/// The first term of an argument list: a word, or a parenthesised expression.
fn first_term(text: &str) -> &str {
    if !text.starts_with('(') {
        let end = text
            .find(|c: char| c.is_whitespace() || c == ')' || c == '|')
            .unwrap_or(text.len());
        return &text[..end];
    }
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[..=i];
                }
            }
            _ => {}
        }
    }
    text
}

fn arg(term: &str, root_dot: bool) -> Arg {
    match term {
        "$" => Arg::Root,
        "." if root_dot => Arg::Root,
        _ if term.starts_with(".Values.") || term.starts_with("$.Values.") => {
            match crate::helm_place::values_keys(term).into_iter().next() {
                Some(key) if key.len() + ".Values.".len() >= term.trim_start_matches('$').len() => {
                    Arg::Value(key)
                }
                _ => Arg::Other,
            }
        }
        _ => match term
            .strip_prefix('(')
            .and_then(|t| t.strip_suffix(')'))
            .and_then(|t| t.trim().strip_prefix("dict "))
        {
            Some(pairs) => Arg::Dict(dict_pairs(pairs)),
            None => Arg::Other,
        },
    }
}

/// The key and expression pairs of a `dict` call's arguments.
fn dict_pairs(text: &str) -> Vec<(String, String)> {
    let mut terms = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let term = if let Some(inner) = rest.strip_prefix('"') {
            match inner.find('"') {
                Some(len) => &rest[..len + 2],
                None => rest,
            }
        } else {
            first_term(rest)
        };
        if term.is_empty() {
            break;
        }
        terms.push(term.to_string());
        rest = rest[term.len()..].trim_start();
    }
    terms
        .chunks(2)
        .filter_map(|pair| match pair {
            [key, value] if key.starts_with('"') => {
                Some((key.trim_matches('"').to_string(), value.clone()))
            }
            _ => None,
        })
        .collect()
}

impl Define {
    /// The chart value a body that writes no key of its own prints whole, as the call
    /// gives it: `toYaml .Values.X` with the root context, `toYaml .` given
    /// `.Values.X`, `(.value | toYaml)` given `(dict "value" .Values.X ...)`; else the
    /// one value the call gives, if one (Bitnami's `omit .secContext "enabled" |
    /// toYaml`).
    pub(crate) fn printed_value(&self, arg: &Arg) -> Option<String> {
        let lines = arg.rewrite(&self.lines).unwrap_or_default();
        let printed = lines.iter().find_map(|line| {
            if let Some(key) = crate::helm_place::to_yaml_absolute(line) {
                return Some(key);
            }
            let (head, _) = line.split_once("| toYaml")?;
            let expression = head.trim_end().rsplit(['(', ' ']).next()?;
            value_expression(expression, true)
        });
        let whole_dot = |line: &String| {
            let text = line.replace(' ', "");
            text.contains("toYaml.}") || text.contains("toYaml.|") || text.contains("(.|toYaml")
        };
        match arg {
            Arg::Value(key) if lines.iter().any(whole_dot) => Some(key.clone()),
            _ => printed.or_else(|| arg.one_value()),
        }
    }
}

impl Arg {
    /// A chart value the body is given whole, if it is given exactly one.
    pub(crate) fn one_value(&self) -> Option<String> {
        match self {
            Arg::Value(key) => Some(key.clone()),
            Arg::Dict(pairs) => {
                let mut values = pairs.iter().filter_map(|(_, e)| value_expression(e, true));
                let one = values.next()?;
                values.next().is_none().then_some(one)
            }
            _ => None,
        }
    }

    /// The body's lines as they read the chart's values: a dict key's `.k` written
    /// as what it stands for (`.Values.X`, or the root's `.k.Values` as `.Values`).
    /// None when the body's values cannot be told.
    pub(crate) fn rewrite(&self, lines: &[String]) -> Option<Vec<String>> {
        match self {
            Arg::Root | Arg::Value(_) => Some(lines.to_vec()),
            Arg::Other => None,
            Arg::Dict(pairs) => Some(
                lines
                    .iter()
                    .map(|line| {
                        pairs.iter().fold(line.clone(), |line, (key, expr)| {
                            match (expr.as_str(), value_expression(expr, false)) {
                                ("$", _) => replace_field(&line, key, ".Values", true),
                                (_, Some(value)) => {
                                    replace_field(&line, key, &format!(".Values.{value}"), false)
                                }
                                _ => line,
                            }
                        })
                    })
                    .collect(),
            ),
        }
    }
}

/// `X` of an expression that is a chart value `.Values.X` (or `$.Values.X`); with
/// `plain`, not one wrapped in a call.
fn value_expression(expr: &str, plain: bool) -> Option<String> {
    let bare = expr.trim_start_matches('$');
    if !bare.starts_with(".Values.") || (plain && expr.contains(' ')) {
        return None;
    }
    let key = crate::helm_place::values_keys(bare).into_iter().next()?;
    (key.len() + ".Values.".len() == bare.len()).then_some(key)
}

/// `line` with the field `.key` (not a deeper one's, nor `$.key`) written as `with`;
/// `root`: only where the root's values are read through it (`.key.Values`).
fn replace_field(line: &str, key: &str, with: &str, root: bool) -> String {
    let pattern = match root {
        true => format!(".{key}.Values"),
        false => format!(".{key}"),
    };
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(&pattern) {
        let before = rest[..at].chars().last().or_else(|| out.chars().last());
        let after = rest[at + pattern.len()..].chars().next();
        let starts = before.is_none_or(|c| c.is_whitespace() || c == '(');
        let ends = after.is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_'));
        out.push_str(&rest[..at]);
        match starts && ends {
            true => out.push_str(with),
            false => out.push_str(&pattern),
        }
        rest = &rest[at + pattern.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_read_with_what_they_pass() {
        let line = r#"          {{- include "app.sc" . | nindent 10 }}"#;
        assert_eq!(
            calls(line, true),
            vec![Call {
                name: "app.sc".into(),
                arg: Arg::Root,
                dot: true,
            }]
        );
        assert_eq!(calls(line, false)[0].arg, Arg::Other);
        let line = r#"{{- include "common.tplvalues.render" (dict "value" .Values.sidecars "context" $) | nindent 8 }}"#;
        let call = &calls(line, true)[0];
        assert_eq!(call.name, "common.tplvalues.render");
        assert_eq!(
            call.arg,
            Arg::Dict(vec![
                ("value".into(), ".Values.sidecars".into()),
                ("context".into(), "$".into())
            ])
        );
        assert_eq!(call.arg.one_value().as_deref(), Some("sidecars"));
        assert_eq!(
            calls(r#"{{ include "x" .Values.pod.sc | indent 2 }}"#, true)[0].arg,
            Arg::Value("pod.sc".into())
        );
        assert_eq!(
            calls(r#"{{ include "x" (.Values.a | default dict) }}"#, true)[0].arg,
            Arg::Other
        );
        assert!(calls("{{ toYaml .Values.x }}", true).is_empty());
    }

    #[test]
    fn a_dict_key_reads_what_it_is_given() {
        let arg = Arg::Dict(vec![
            ("sc".into(), ".Values.podSecurityContext".into()),
            ("context".into(), "$".into()),
        ]);
        let lines = vec![
            "{{- if .sc.enabled }}".to_string(),
            "runAsUser: {{ .sc.runAsUser }} {{ .scx }} {{ $.sc }}".to_string(),
            "{{- if .context.Values.global.x }}".to_string(),
        ];
        assert_eq!(
            arg.rewrite(&lines).unwrap(),
            vec![
                "{{- if .Values.podSecurityContext.enabled }}",
                "runAsUser: {{ .Values.podSecurityContext.runAsUser }} {{ .scx }} {{ $.sc }}",
                "{{- if .Values.global.x }}",
            ]
        );
        assert_eq!(Arg::Other.rewrite(&lines), None);
    }

    #[test]
    fn defines_are_read_with_their_bodies() {
        let mut defines = Defines::default();
        let text = "{{- define \"a\" -}}\nsecurityContext:\n  {{- if .Values.x }}\n  privileged: true\n  {{- end }}\n{{- end }}\n\n{{- define \"b\" -}}\n{{ tpl (toYaml .value) .context }}\n{{- end }}\n";
        defines.add(PathBuf::from("_helpers.tpl"), text);
        let a = defines.get("a").unwrap();
        assert_eq!((a.first, a.lines.len()), (1, 4));
        assert!(a.writes_keys());
        let b = defines.get("b").unwrap();
        assert_eq!(b.lines, vec!["{{ tpl (toYaml .value) .context }}"]);
        assert!(!b.writes_keys());
    }
}

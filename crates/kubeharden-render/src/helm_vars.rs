//! Template variables that hold a chart value (`{{- $sc := .Values.podSecurityContext
//! }}`), read as that value where they are used: `toYaml $sc` is `toYaml
//! $.Values.podSecurityContext`, so the search names the value as it names one
//! written out. A variable that holds anything else (a `merge`, a `dict`, a `tpl`) is
//! left as written, and the line names no value.

use crate::helm_blocks::{actions, contexts, Context};

/// What a variable holds, as the text that reads it without the variable.
struct Variable {
    name: String,
    /// `None`: a variable the search cannot follow (a `range`'s, or one of a computed
    /// value), which hides an outer one of its name.
    holds: Option<Holds>,
    /// How many blocks were open where it was declared: it is gone at their `end`.
    depth: usize,
}

enum Holds {
    /// A chart value, read the same anywhere: `$.Values.x`.
    Absolute(String),
    /// A path under `.` (`.securityContext`), valid only where `.` is the same: the
    /// `range` and `with` around the declaration.
    Relative {
        path: String,
        dot: (Option<usize>, Option<usize>),
    },
}

/// The template's lines with each use of a variable that holds a chart value
/// replaced by what it holds. Lines keep their count, and a key before the first
/// action of a line keeps its column.
pub(crate) fn resolve_variables(lines: &[&str]) -> Vec<String> {
    let blocks = contexts(lines);
    let mut scope: Vec<Variable> = Vec::new();
    let mut depth = 0;
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let resolved = substitute(line, &scope, &blocks[i]);
        for action in actions(&resolved) {
            step(&mut scope, &mut depth, &action, &blocks[i]);
        }
        out.push(resolved);
    }
    out
}

/// Follows one action: a declaration adds a variable, a block opens or closes a scope.
fn step(scope: &mut Vec<Variable>, depth: &mut usize, action: &str, context: &Context) {
    let word = action.split_whitespace().next().unwrap_or_default();
    match word {
        "if" | "with" | "range" | "define" | "block" => {
            *depth += 1;
            // `with $sc := .Values.x` holds the value in its block; a `range`'s
            // variables (an item, a key) are not followed here, and hide outer ones
            // of the same name.
            let names = declared_names(action);
            let expression = action.split_once(":=").map(|(_, e)| e.trim());
            let holds = match (word, names.len(), expression) {
                ("with" | "if", 1, Some(expression)) => holds(expression, context),
                _ => None,
            };
            let mut holds = Some(holds);
            for name in names {
                scope.push(Variable {
                    name,
                    holds: holds.take().flatten(),
                    depth: *depth,
                });
            }
        }
        "end" => {
            scope.retain(|v| v.depth < *depth);
            *depth = depth.saturating_sub(1);
        }
        _ => {
            if let Some((name, expression)) = declaration(action) {
                let holds = holds(&expression, context);
                scope.push(Variable {
                    name,
                    holds,
                    depth: *depth,
                });
            }
        }
    }
}

/// `$sc := EXPR` (or `$sc = EXPR`, a new value for it): the name and the expression.
fn declaration(action: &str) -> Option<(String, String)> {
    let rest = action.strip_prefix('$')?;
    let name: String = rest.chars().take_while(|c| is_name_char(*c)).collect();
    let after = rest[name.len()..].trim_start();
    let expression = after
        .strip_prefix(":=")
        .or_else(|| after.strip_prefix('='))?;
    (!name.is_empty()).then(|| (name, expression.trim().to_string()))
}

/// The variables a `range` or `with` declares before its `:=`.
fn declared_names(action: &str) -> Vec<String> {
    let Some((head, _)) = action.split_once(":=") else {
        return Vec::new();
    };
    head.split(|c: char| c == ',' || c.is_whitespace())
        .filter_map(|word| word.strip_prefix('$'))
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}

/// What a declaration's expression holds, when it is a chart value or a path under
/// `.`: `.Values.x`, `$.Values.x`, `.x`, each perhaps with a `default` for when it
/// is empty (`.Values.x | default dict`, `default dict .Values.x`).
fn holds(expression: &str, context: &Context) -> Option<Holds> {
    let path = value_of(expression)?;
    if let Some(key) = path
        .strip_prefix("$.Values.")
        .or_else(|| path.strip_prefix(".Values."))
    {
        return Some(Holds::Absolute(format!("$.Values.{key}")));
    }
    let path = path.strip_prefix('.').map(|p| format!(".{p}"))?;
    Some(Holds::Relative {
        path,
        dot: (context.range, context.with),
    })
}

/// The one path an expression reads, past a `default` for when it is empty.
fn value_of(expression: &str) -> Option<String> {
    let expression = unwrapped(expression);
    let mut stages = expression.split('|').map(str::trim);
    let first = unwrapped(stages.next()?);
    // `.Values.x | default dict`: the pipeline may only add a default.
    if !stages.all(|s| s.starts_with("default ")) {
        return None;
    }
    let words: Vec<&str> = first.split_whitespace().collect();
    let path = match words.as_slice() {
        [path] => *path,
        // `default dict .Values.x`: the last word is the value.
        ["default", _, path] => *path,
        _ => return None,
    };
    let is_path = path.starts_with('.') || path.starts_with("$.");
    let plain = path
        .chars()
        .all(|c| is_name_char(c) || c == '.' || c == '$');
    (is_path && plain).then(|| path.to_string())
}

fn unwrapped(text: &str) -> &str {
    let text = text.trim();
    text.strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .map_or(text, str::trim)
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// `line` with the variables in scope that hold a value replaced by it, inside its
/// actions only.
fn substitute(line: &str, scope: &[Variable], context: &Context) -> String {
    if !line.contains("{{") || scope.is_empty() {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        out.push_str(&in_action(&rest[start..start + len], scope, context));
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

/// One action's text with its variables replaced, except where it declares one.
fn in_action(action: &str, scope: &[Variable], context: &Context) -> String {
    let mut out = String::with_capacity(action.len());
    let mut chars = action.char_indices().peekable();
    let mut quoted = false;
    while let Some((at, c)) = chars.next() {
        // A `$` in a string (`printf "$x"`) is text, not a variable.
        quoted ^= c == '"';
        if quoted {
            out.push(c);
            continue;
        }
        let name: String = action[at + 1..]
            .chars()
            .take_while(|c| is_name_char(*c))
            .collect();
        // `$sc := ...` and `$sc = ...` name the variable, they do not read it.
        let after_name = action[at + 1 + name.len()..].trim_start();
        let declares = after_name.starts_with(":=") || after_name.starts_with('=');
        let value = (c == '$' && !name.is_empty() && !declares)
            .then(|| lookup(scope, &name, context))
            .flatten();
        let Some(value) = value else {
            out.push(c);
            continue;
        };
        let after = &action[at + 1 + name.len()..];
        // `$sc.runAsUser` where `$sc` holds `.`: `.runAsUser`, not `..runAsUser`.
        let value = if value == "." && after.starts_with('.') {
            ""
        } else {
            &value
        };
        out.push_str(value);
        for _ in 0..name.chars().count() {
            chars.next();
        }
    }
    out
}

/// What the innermost variable of `name` holds, as read on a line in `context`.
fn lookup(scope: &[Variable], name: &str, context: &Context) -> Option<String> {
    let variable = scope.iter().rev().find(|v| v.name == name)?;
    match variable.holds.as_ref()? {
        Holds::Absolute(path) => Some(path.clone()),
        Holds::Relative { path, dot } => {
            let same_dot = *dot == (context.range, context.with);
            same_dot.then(|| path.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(text: &str) -> Vec<String> {
        let lines: Vec<&str> = text.lines().collect();
        resolve_variables(&lines)
    }

    #[test]
    fn a_variable_that_holds_a_value_reads_as_the_value() {
        let out = resolved(
            "{{- $sc := .Values.podSecurityContext }}\n{{- $c := .Values.a.b | default dict }}\n{{- $d := default (dict) $.Values.d }}\nsecurityContext:\n  {{- toYaml $sc | nindent 2 }}\nx: {{ $c.privileged }} {{ $d }}\n",
        );
        assert_eq!(
            out[4],
            "  {{- toYaml $.Values.podSecurityContext | nindent 2 }}"
        );
        assert_eq!(out[5], "x: {{ $.Values.a.b.privileged }} {{ $.Values.d }}");
    }

    #[test]
    fn a_variable_of_a_path_under_dot_is_read_only_under_the_same_dot() {
        let out = resolved(
            "{{- with .Values.pod }}\n{{- $ipc := .hostIPC }}\nhostIPC: {{ $ipc }}\n{{- range .items }}\nx: {{ $ipc }}\n{{- end }}\n{{- end }}\n",
        );
        assert_eq!(out[2], "hostIPC: {{ .hostIPC }}");
        assert_eq!(out[4], "x: {{ $ipc }}");
    }

    #[test]
    fn a_variable_is_gone_at_its_blocks_end_and_hidden_by_a_ranges() {
        let out = resolved(
            "{{- if .Values.on }}\n{{- $sc := .Values.sc }}\n{{- end }}\na: {{ $sc }}\n{{- $c := .Values.c }}\n{{- range $i, $c := .Values.list }}\nb: {{ $c }}\n{{- end }}\nc: {{ $c }}\n{{- $m := merge .Values.a .Values.b }}\nd: {{ $m }}\n",
        );
        assert_eq!(out[3], "a: {{ $sc }}");
        assert_eq!(out[6], "b: {{ $c }}");
        assert_eq!(out[8], "c: {{ $.Values.c }}");
        assert_eq!(out[10], "d: {{ $m }}");
    }

    #[test]
    fn a_with_of_a_variable_holds_the_value_in_its_block_and_strings_are_text() {
        let out = resolved(
            "{{- with $sc := .Values.sc }}\nsecurityContext: {{ toYaml $sc }}\n{{- end }}\nx: {{ $sc }}\n{{- $v := .Values.v }}\ny: {{ printf \"$v\" $v }}\n",
        );
        assert_eq!(out[1], "securityContext: {{ toYaml $.Values.sc }}");
        assert_eq!(out[3], "x: {{ $sc }}");
        assert_eq!(out[5], "y: {{ printf \"$v\" $.Values.v }}");
    }
}

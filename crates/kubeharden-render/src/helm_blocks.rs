//! Which lines of a template helm emitted: the `if`, `else`, `with` and `range`
//! blocks around each line, and their conditions judged from the chart's values where
//! they are simple enough to judge (`.Values.x`, `not`, `and`, `or`, `eq`, `ne`,
//! `kindIs`).
//! A line in a branch that did not render wrote nothing, so no finding is placed on
//! it, nor blamed on the values it reads.

use crate::helm_values::Held;

/// A block's condition, and the truth a line inside needs of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Condition {
    /// The index of the line that opens the block or branch.
    pub line: usize,
    /// `if`, `else if`, `with` or `range`.
    pub keyword: &'static str,
    /// What follows it.
    pub text: String,
    pub wanted: bool,
}

/// The blocks around a line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Context {
    pub conditions: Vec<Condition>,
    /// The innermost `range` whose body the line is in: the index of its line.
    pub range: Option<usize>,
    /// The innermost `with` that sets the line's `.` (none where a `range` inside
    /// it sets it): the index of its line.
    pub with: Option<usize>,
    /// Inside a `define` (or `block`): written where it is included, not here.
    pub defined: bool,
}

/// An open block.
enum Frame {
    /// The branches so far: the last is the one open; `otherwise`, an `else`.
    If {
        branches: Vec<(usize, String)>,
        otherwise: bool,
    },
    With {
        line: usize,
        text: String,
        otherwise: bool,
    },
    Range {
        line: usize,
        text: String,
        otherwise: bool,
    },
    Define,
}

/// The context of each line of a template, as the actions before it left it.
pub(crate) fn contexts(lines: &[&str]) -> Vec<Context> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut out = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        out.push(context_of(&stack));
        for action in actions(line) {
            step(&mut stack, i, &action);
        }
    }
    out
}

/// The text of each `{{ ... }}` of a line, trimmed of `-` and spaces.
pub(crate) fn actions(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let inner = &rest[start + 2..start + len];
        out.push(
            inner
                .trim_matches(|c: char| c == '-' || c.is_whitespace())
                .to_string(),
        );
        rest = &rest[start + len + 2..];
    }
    out
}

fn step(stack: &mut Vec<Frame>, i: usize, action: &str) {
    let (word, rest) = action
        .split_once(char::is_whitespace)
        .unwrap_or((action, ""));
    let rest = rest.trim().to_string();
    match word {
        "if" => stack.push(Frame::If {
            branches: vec![(i, rest)],
            otherwise: false,
        }),
        "with" => stack.push(Frame::With {
            line: i,
            text: rest,
            otherwise: false,
        }),
        "range" => stack.push(Frame::Range {
            line: i,
            text: rest,
            otherwise: false,
        }),
        "define" | "block" => stack.push(Frame::Define),
        "else" => match (stack.last_mut(), rest.strip_prefix("if ")) {
            (Some(Frame::If { branches, .. }), Some(condition)) => {
                branches.push((i, condition.trim().to_string()));
            }
            (Some(Frame::If { otherwise, .. }), None)
            | (Some(Frame::With { otherwise, .. }), _)
            | (Some(Frame::Range { otherwise, .. }), _) => *otherwise = true,
            _ => {}
        },
        "end" => {
            stack.pop();
        }
        _ => {}
    }
}

fn context_of(stack: &[Frame]) -> Context {
    let mut context = Context::default();
    for frame in stack {
        match frame {
            Frame::If {
                branches,
                otherwise,
            } => {
                let open = branches.len() - usize::from(!otherwise);
                for (n, (line, text)) in branches.iter().enumerate() {
                    context.conditions.push(Condition {
                        line: *line,
                        keyword: if n == 0 { "if" } else { "else if" },
                        text: text.clone(),
                        wanted: n >= open,
                    });
                }
            }
            Frame::With {
                line,
                text,
                otherwise,
            }
            | Frame::Range {
                line,
                text,
                otherwise,
            } => {
                let range = matches!(frame, Frame::Range { .. });
                context.conditions.push(Condition {
                    line: *line,
                    keyword: if range { "range" } else { "with" },
                    text: range_source(text),
                    wanted: !otherwise,
                });
                if !otherwise {
                    // Each `with` or `range` sets `.`: the innermost one does.
                    context.with = (!range).then_some(*line);
                }
                if range && !otherwise {
                    context.range = Some(*line);
                }
            }
            Frame::Define => context.defined = true,
        }
    }
    context
}

/// What a `range` or `with` reads: `$i, $c := .Values.x` reads `.Values.x`.
fn range_source(text: &str) -> String {
    match text.split_once(":=") {
        Some((_, source)) => source.trim().to_string(),
        None => text.to_string(),
    }
}

/// Whether helm emitted a line in `context`: `Some(false)` when a block around it
/// is in a branch its condition did not take (or it is in a `define`), `Some(true)`
/// when every condition is judged and taken, `None` when one cannot be judged.
pub(crate) fn emitted(context: &Context, value: &dyn Fn(&str) -> Option<Held>) -> Option<bool> {
    if context.defined {
        return Some(false);
    }
    let mut known = true;
    for condition in &context.conditions {
        match judge(&condition.text, value) {
            Some(truth) if truth != condition.wanted => return Some(false),
            Some(_) => {}
            None => known = false,
        }
    }
    known.then_some(true)
}

/// The first condition around a line that was not taken, if one is judged so.
pub(crate) fn not_taken<'c>(
    context: &'c Context,
    value: &dyn Fn(&str) -> Option<Held>,
) -> Option<&'c Condition> {
    context
        .conditions
        .iter()
        .find(|c| judge(&c.text, value).is_some_and(|truth| truth != c.wanted))
}

/// The truth of a condition, when it is simple enough to judge from values.
fn judge(text: &str, value: &dyn Fn(&str) -> Option<Held>) -> Option<bool> {
    let text = text.trim();
    let text = match text.strip_prefix('(').and_then(|t| t.strip_suffix(')')) {
        Some(inner) => inner.trim(),
        None => text,
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        ["not", rest @ ..] => judge(&rest.join(" "), value).map(|t| !t),
        ["and", operands @ ..] => all_of(operands, value, false),
        ["or", operands @ ..] => all_of(operands, value, true),
        [op @ ("eq" | "ne"), a, b] => {
            let same = compare(a, b, value)?;
            Some(same == (*op == "eq"))
        }
        ["kindIs", kind, operand] => kind_is(kind, &value_of(operand, value)?),
        [one] => truth(&value_of(one, value)?),
        _ => None,
    }
}

/// `and` (`any` false) or `or` (`any` true) of simple operands.
fn all_of(operands: &[&str], value: &dyn Fn(&str) -> Option<Held>, any: bool) -> Option<bool> {
    let mut known = true;
    for operand in operands {
        match value_of(operand, value).and_then(|v| truth(&v)) {
            Some(t) if t == any => return Some(any),
            Some(_) => {}
            None => known = false,
        }
    }
    known.then_some(!any)
}

/// Whether a value and a literal (either way round) are the same text.
fn compare(a: &str, b: &str, value: &dyn Fn(&str) -> Option<Held>) -> Option<bool> {
    let (held, literal) = match (value_of(a, value), value_of(b, value)) {
        (Some(held), None) => (held, b),
        (None, Some(held)) => (held, a),
        _ => return None,
    };
    let literal = literal.trim_matches('"');
    match held {
        Some(Held::Scalar(text)) => Some(text == literal),
        Some(_) => Some(false),
        None => Some(literal.is_empty()),
    }
}

/// A `.Values.x` operand's value (`None` inside: unset); `None`: not a value.
fn value_of(operand: &str, value: &dyn Fn(&str) -> Option<Held>) -> Option<Option<Held>> {
    let key = operand
        .strip_prefix("$.Values.")
        .or_else(|| operand.strip_prefix(".Values."))?;
    let plain = key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
    plain.then(|| value(key))
}

/// Whether a value is of the kind `kindIs "KIND"` asks (`string`, `map`, `slice`),
/// when what it holds tells: a scalar that reads as a number, a boolean or null, and
/// an empty block (`{}` or `[]`), do not.
pub(crate) fn kind_is(kind: &str, held: &Option<Held>) -> Option<bool> {
    let of = match held {
        None => "invalid",
        Some(Held::Block) => "map",
        Some(Held::List(_)) => "slice",
        Some(Held::Empty) => return None,
        Some(Held::Scalar(text)) => {
            let typed = matches!(text.as_str(), "" | "true" | "false" | "null" | "~")
                || text.parse::<f64>().is_ok();
            if typed {
                return None;
            }
            "string"
        }
    };
    Some(of == kind.trim_matches('"'))
}

/// A value's truth as a template's `if` sees it: unset, empty, false and zero are false.
fn truth(held: &Option<Held>) -> Option<bool> {
    Some(match held {
        None | Some(Held::Empty) => false,
        Some(Held::Scalar(text)) => !matches!(text.as_str(), "" | "false" | "0" | "null" | "~"),
        Some(Held::Block | Held::List(_)) => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "a: 1\n{{- if .Values.on }}\nb: 2\n{{- else if not .Values.off }}\nc: 3\n{{- else }}\nd: 4\n{{- end }}\n{{- range $c := .Values.list }}\ne: 5\n{{- end }}\n{{- define \"x\" }}\nf: 6\n{{- end }}\n";

    fn values(key: &str) -> Option<Held> {
        match key {
            "on" => Some(Held::Scalar("false".into())),
            "off" => Some(Held::Scalar("true".into())),
            "list" => Some(Held::Empty),
            _ => None,
        }
    }

    #[test]
    fn a_line_in_a_branch_not_taken_was_not_emitted() {
        let lines: Vec<&str> = TEMPLATE.lines().collect();
        let at = contexts(&lines);
        let emitted_at = |i: usize| emitted(&at[i], &values);
        assert_eq!(emitted_at(0), Some(true));
        assert_eq!(emitted_at(2), Some(false), "if .Values.on: false");
        assert_eq!(emitted_at(4), Some(false), "else if not .Values.off");
        assert_eq!(emitted_at(6), Some(true), "else");
        assert_eq!(emitted_at(9), Some(false), "range over an empty list");
        assert_eq!(at[9].range, Some(8));
        assert_eq!(emitted_at(12), Some(false), "define");
        let cond = not_taken(&at[2], &values).unwrap();
        assert_eq!((cond.line, cond.text.as_str()), (1, ".Values.on"));
        let unknown = contexts(&["{{ if include \"x\" . }}", "a: 1"]);
        assert_eq!(emitted(&unknown[1], &values), None);
    }

    #[test]
    fn conditions_are_judged_only_when_simple() {
        assert_eq!(judge("and .Values.on .Values.off", &values), Some(false));
        assert_eq!(judge("or .Values.on .Values.off", &values), Some(true));
        assert_eq!(judge("eq .Values.on \"false\"", &values), Some(true));
        assert_eq!(judge("ne .Values.unset \"\"", &values), Some(false));
        assert_eq!(judge("(not .Values.on)", &values), Some(true));
        assert_eq!(judge(".Capabilities.APIVersions.Has \"x\"", &values), None);
        assert_eq!(judge("kindIs \"string\" .Values.list", &values), None);
        assert_eq!(judge("kindIs \"map\" .Values.unset", &values), Some(false));
        let held = |k: &str| Some(Held::Scalar(k.into()));
        assert_eq!(kind_is("\"string\"", &held("image: x")), Some(true));
        assert_eq!(kind_is("\"string\"", &Some(Held::Block)), Some(false));
        assert_eq!(kind_is("map", &Some(Held::Block)), Some(true));
        assert_eq!(
            kind_is("string", &held("8080")),
            None,
            "a number, or a quoted one"
        );
        assert_eq!(judge("and .Values.off .Release.IsInstall", &values), None);
    }
}

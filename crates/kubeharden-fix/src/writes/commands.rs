//! One command's writes, its words split already: wrappers read past, `cd`, `xargs`
//! and `find` followed to the commands they run, and where a written path is.

use super::shell::script_writes;
use super::table::{shell_forms, table_writes, Args, SHELLS, WRAPPERS};
use super::{Sink, Write};

/// What one command writes, its words split already (an argv, or a simple command of
/// a script); a `cd` moves `cwd`.
pub(super) fn command_writes(words: &[String], cwd: &mut Option<String>, out: &mut Sink) {
    let Some(words) = unwrapped(words, cwd, out) else {
        return;
    };
    let name = program(&words[0]);
    let args = shell_forms(name, &words[1..]);
    match name {
        "cd" | "pushd" => change_directory(&args, cwd),
        "xargs" => command_writes(&xargs_command(&args), cwd, out),
        "find" => find_writes(&args, cwd, out),
        // `. x` and `source x` run a script the spec does not hold.
        "source" | "." => {
            let script = args.first().map_or(name, String::as_str);
            out.add(name, Write::Script(script.to_string()));
        }
        // Run as the command itself, it needs no other name (`./entrypoint.sh`).
        _ if is_script(&words[0]) => out.add("", Write::Script(words[0].clone())),
        _ => table_writes(name, &args, cwd, out),
    }
}

/// The command that `words` run once its variable assignments and wrappers (`env`,
/// `exec`, `timeout 5`, `gosu user`) are read past; `None` when there is none, or
/// when a shell runs a script instead, whose writes are read here.
fn unwrapped<'w>(
    mut words: &'w [String],
    cwd: &mut Option<String>,
    out: &mut Sink,
) -> Option<&'w [String]> {
    loop {
        let first = words.first()?;
        if is_assignment(first) {
            words = &words[1..];
            continue;
        }
        let name = program(first);
        let Some((_, takes, operands)) = WRAPPERS.iter().find(|w| w.0 == name) else {
            return Some(words);
        };
        let mut i = 1;
        let mut script = false;
        while let Some(w) = words.get(i) {
            if w == "--" {
                i += 1;
                break;
            }
            if !w.starts_with('-') || w == "-" {
                break;
            }
            script |= !w.starts_with("--") && w.contains('c');
            i += if takes_next(w, takes) { 2 } else { 1 };
        }
        if SHELLS.contains(&name) {
            // `sh -c SCRIPT NAME ARGS...`: its own working directory; the words after
            // the script are its parameters. `sh FILE` runs a file of the image.
            match words.get(i) {
                Some(text) if script => script_writes(text, cwd.clone(), out),
                Some(file) => out.add(name, Write::Script(file.clone())),
                None => {}
            }
            return None;
        }
        words = words.get(i + operands..).unwrap_or_default();
    }
}

/// Whether a command is a shell script by its name (`./entrypoint.sh`): its commands
/// are in the image, where `fix` cannot read them.
fn is_script(word: &str) -> bool {
    [".sh", ".bash"].iter().any(|ext| word.ends_with(ext))
}

/// The working directory after `cd DIR`: unknown when `DIR` is not settled.
fn change_directory(args: &[String], cwd: &mut Option<String>) {
    let to = Args::parse(args, &[]).operands.first().copied();
    *cwd = match to {
        Some(to) if !unsettled(to) && to != "-" => absolute(to, cwd.as_deref()),
        _ => None,
    };
}

/// A directory's absolute path, when the spec settles it.
fn absolute(dir: &str, cwd: Option<&str>) -> Option<String> {
    match place(dir, cwd)? {
        Write::Path(path) => Some(path),
        _ => None,
    }
}

/// A word that stands for what `xargs` reads from its input: paths no spec settles.
pub(super) const XARGS_INPUT: &str = "$(xargs input)";

/// The command `xargs` runs: its words with the input in place of the replace string
/// (`-I{}`), or after them (`xargs cp -t /opt`: the input is what is copied).
fn xargs_command(args: &[String]) -> Vec<String> {
    #[rustfmt::skip]
    const TAKES: &[&str] = &[
        "-I", "-a", "--arg-file", "-d", "--delimiter", "-E", "-L", "-n", "--max-args", "-P",
        "--max-procs", "-s", "--max-chars",
    ];
    let mut i = 0;
    let mut replace = None;
    while let Some(w) = args.get(i).filter(|w| w.starts_with('-')) {
        i += 1;
        if w == "--" {
            break;
        }
        if let Some(value) = w
            .strip_prefix("-I")
            .or_else(|| w.strip_prefix("--replace="))
        {
            replace = Some(if value.is_empty() {
                args.get(i).cloned().unwrap_or_default()
            } else {
                value.to_string()
            });
        } else if w == "-i" || w == "--replace" {
            replace = Some("{}".to_string());
        }
        if takes_next(w, TAKES) {
            i += 1;
        }
    }
    let command = args.get(i..).unwrap_or_default();
    match replace.filter(|r| !r.is_empty()) {
        Some(r) => command.iter().map(|w| w.replace(&r, XARGS_INPUT)).collect(),
        None => [command, &[XARGS_INPUT.to_string()]].concat(),
    }
}

/// What `find` writes: the commands its `-exec`/`-execdir`/`-ok` actions run on what
/// it finds (`{}`, a path under one of its start paths), under those paths for
/// `-delete`, and the files its `-fprint` actions name.
fn find_writes(args: &[String], cwd: &mut Option<String>, out: &mut Sink) {
    let (starts, mut i) = find_starts(args);
    while let Some(action) = args.get(i) {
        i += 1;
        match action.as_str() {
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                let end = (i..args.len())
                    .find(|&j| args[j] == ";" || (args[j] == "+" && args[j - 1] == "{}"))
                    .unwrap_or(args.len());
                let in_dir = action.ends_with("dir");
                find_exec(&args[i..end], &starts, in_dir, cwd, out);
                i = end + 1;
            }
            "-delete" => starts
                .iter()
                .filter_map(|s| place(s, cwd.as_deref()))
                .for_each(|w| out.add("find -delete", w)),
            "-fprint" | "-fprint0" | "-fls" | "-fprintf" => {
                if let Some(w) = args.get(i).and_then(|file| place(file, cwd.as_deref())) {
                    out.add(&format!("find {action}"), w);
                }
                i += 1;
            }
            _ => {}
        }
    }
}

/// `find`'s start paths (`.` when it names none) and where its expression begins,
/// past its leading options (`find -L /x`).
fn find_starts(args: &[String]) -> (Vec<&str>, usize) {
    let from = args
        .iter()
        .position(|w| !matches!(w.as_str(), "-H" | "-L" | "-P"))
        .unwrap_or(args.len());
    let expression = (from..args.len())
        .find(|&j| args[j].starts_with('-') || args[j] == "(" || args[j] == "!")
        .unwrap_or(args.len());
    let starts = match &args[from..expression] {
        [] => vec!["."],
        starts => starts.iter().map(String::as_str).collect(),
    };
    (starts, expression)
}

/// What a command `find -exec` runs writes, once for each start path, which its
/// `{}` stands for; `-execdir` runs it in the found file's directory, under the start.
fn find_exec(run: &[String], starts: &[&str], in_dir: bool, cwd: &Option<String>, out: &mut Sink) {
    for start in starts {
        let words: Vec<String> = run.iter().map(|w| w.replace("{}", start)).collect();
        let mut dir = if in_dir {
            absolute(start, cwd.as_deref())
        } else {
            cwd.clone()
        };
        command_writes(&words, &mut dir, out);
    }
}

/// Whether option word `word` takes the next word as its argument: it is one of
/// `takes`, or a cluster of short options whose first that takes one ends it
/// (`-euo pipefail`).
fn takes_next(word: &str, takes: &[&str]) -> bool {
    if takes.contains(&word) {
        return true;
    }
    let Some(letters) = word.strip_prefix('-').filter(|l| !l.starts_with('-')) else {
        return false;
    };
    let first = letters
        .char_indices()
        .find(|(_, l)| takes.contains(&format!("-{l}").as_str()));
    first.is_some_and(|(at, l)| at + l.len_utf8() == letters.len())
}

/// A command's name: its program's file name, without a version (`/usr/bin/pip3.11`
/// is `pip`).
fn program(word: &str) -> &str {
    let base = word.rsplit('/').next().unwrap_or(word);
    let bare = base.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    if bare.is_empty() {
        base
    } else {
        bare
    }
}

/// `NAME=value` before a command.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Whether a path depends on what the spec does not settle: a variable, a command's
/// output, the home directory.
fn unsettled(path: &str) -> bool {
    path.contains(['$', '`']) || path.starts_with('~')
}

/// Where a written path is: absolute, resolved against `cwd`, or not settled. The
/// standard streams, devices and /proc are no files of the root filesystem.
pub(super) fn place(path: &str, cwd: Option<&str>) -> Option<Write> {
    if path.is_empty() || path == "-" {
        return None;
    }
    if unsettled(path) {
        return Some(Write::Unsettled(path.to_string()));
    }
    let absolute = match (path.starts_with('/'), cwd) {
        (true, _) => normalize(path),
        (false, Some(cwd)) => normalize(&format!("{cwd}/{path}")),
        (false, None) => return Some(Write::Relative(path.to_string())),
    };
    let device = ["/dev", "/proc"]
        .iter()
        .any(|d| absolute == *d || absolute.starts_with(&format!("{d}/")));
    (!device).then_some(Write::Path(absolute))
}

/// An absolute path without `.`, `..` or doubled slashes (`/tmp/../app` is `/app`).
pub(super) fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

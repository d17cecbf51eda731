//! One command's writes, its words split already: wrappers read past, `cd`, `xargs`
//! and `find` followed to the commands they run, and where a written path is.

use super::shell::script_writes;
use super::table::{shell_forms, table_writes, Args, SHELLS, WRAPPERS};
use super::{Sink, Write};

/// What one command writes, its words split already (an argv, or a simple command of
/// a script); a `cd` moves `cwd`.
pub(super) fn command_writes(words: &[String], cwd: &mut Option<String>, out: &mut Sink) {
    // `~` and `$HOME` in its words are the shell's home, before a `HOME=` of the
    // command's own sets the one it runs with (where its caches go).
    let outer = out.home.clone();
    let outer_tmp = out.tmpdir.clone();
    let words: Vec<String> = words
        .iter()
        .map(|w| expand_home(w, outer.as_deref()))
        .collect();
    let assigns = words.iter().all(|w| is_assignment(w))
        || matches!(
            words.first().map(String::as_str),
            Some("export" | "readonly" | "declare" | "typeset" | "local")
        );
    one_command_writes(&words, cwd, out);
    // A shell's `HOME=/x` or `export HOME=/x` lasts; `HOME=/x cmd` is `cmd`'s only.
    if !assigns {
        out.home = outer;
        out.tmpdir = outer_tmp;
    }
}

/// A word with the home directory in place of a leading `~` or `$HOME`, when the
/// spec sets it to a literal path.
pub(super) fn expand_home(word: &str, home: Option<&str>) -> String {
    match (super::under_home(word), home) {
        (Some(""), Some(home)) => home.to_string(),
        (Some(rest), Some(home)) => normalize(&format!("{home}/{rest}")),
        _ => word.to_string(),
    }
}

/// A `HOME=` assignment's value, when it is a literal absolute path (`None` for
/// another path, which the spec does not settle); not one of `HOME`, nothing.
fn home_assigned(word: &str) -> Option<Option<String>> {
    let value = word.strip_prefix("HOME=")?;
    Some((value.starts_with('/') && !unsettled(value)).then(|| normalize(value)))
}

/// A `TMPDIR=` assignment's value, as `mktemp` places it (`$TMPDIR` for one the
/// spec does not settle).
fn tmpdir_assigned(word: &str) -> Option<String> {
    let value = word.strip_prefix("TMPDIR=")?;
    Some(match value {
        v if v.starts_with('/') && !unsettled(v) => normalize(v),
        _ => "$TMPDIR".to_string(),
    })
}

fn one_command_writes(words: &[String], cwd: &mut Option<String>, out: &mut Sink) {
    let Some(words) = unwrapped(words, cwd, out) else {
        return;
    };
    if is_positional(&words[0]) {
        // `exec "$@"`: the parameters, read where the spec gives them (after a `sh
        // -c` script, or the container's args, read as a command of their own).
        return;
    }
    // A variable or a command's output as the command (`$CMD /etc/x`, `$(cat f)`):
    // the spec does not fix what runs. A variable directory only
    // (`"$JAVA_HOME/bin/java"`) still names the program.
    if unsettled(program(&words[0])) {
        out.add("", Write::Unknown(words[0].clone()));
        return;
    }
    let name = program(&words[0]);
    let args = shell_forms(name, &words[1..]);
    match name {
        "cd" | "pushd" => change_directory(&args, cwd),
        "export" | "readonly" | "declare" | "typeset" | "local" => {
            if let Some(home) = args.iter().rev().find_map(|a| home_assigned(a)) {
                out.home = home;
            }
            if let Some(tmp) = args.iter().rev().find_map(|a| tmpdir_assigned(a)) {
                out.tmpdir = tmp;
            }
        }
        // `eval` runs its arguments, joined, as a script of the same shell.
        "eval" => script_writes(&args.join(" "), cwd.clone(), out),
        "su" | "runuser" => su_writes(name, &args, cwd, out),
        // `trap 'cmd' EXIT` runs `cmd` later, in the same shell (`-`: a reset).
        "trap" => {
            if let Some(action) = args.first().filter(|a| !a.starts_with('-')) {
                script_writes(action, cwd.clone(), out);
            }
        }
        "watch" => watch_writes(&args, cwd, out),
        "flock" => flock_writes(&args, cwd, out),
        "parallel" => parallel_writes(&args, cwd, out),
        "script" => typescript_writes(&args, cwd, out),
        "mktemp" => mktemp_writes(&args, cwd, out),
        "xargs" => command_writes(&xargs_command(&args), cwd, out),
        "find" => find_writes(&args, cwd, out),
        // `. x` and `source x` run a script the spec does not hold.
        "source" | "." => {
            let script = args.first().map_or(name, String::as_str);
            out.add(name, Write::Script(script.to_string()));
        }
        // Run as the command itself, it needs no other name (`./entrypoint.sh`).
        _ if is_script(&words[0]) => out.add("", Write::Script(words[0].clone())),
        // An interpreter's program may write anywhere: it is not read here.
        _ if is_interpreter(name) => {
            table_writes(name, &args, cwd, out);
            interpreted_writes(name, &args, cwd, out);
        }
        _ => {
            table_writes(name, &args, cwd, out);
            flag_writes(name, &args, cwd, out);
        }
    }
}

/// Whether `name` runs programs of a language the spec cannot show (`python3.12`,
/// `node`), as `sh` runs a script file.
fn is_interpreter(name: &str) -> bool {
    const LANGUAGES: [&str; 6] = ["python", "node", "ruby", "perl", "php", "deno"];
    let base = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    LANGUAGES.contains(&base)
}

/// What an interpreter runs: its script file or module (`python manage.py`,
/// `python -m app`), which may write anywhere. Code given inline (`-c`, `-e`) is
/// the spec's own, read by the table where it edits files (`perl -pi -e`).
fn interpreted_writes(name: &str, args: &[String], cwd: &mut Option<String>, out: &mut Sink) {
    // A module that is a command of the table runs as it (`python -m pip install`).
    const MODULES: [&str; 4] = ["pip", "pip3", "venv", "virtualenv"];
    let mut words = args.iter();
    while let Some(w) = words.next() {
        match w.as_str() {
            // Flags that take a value (`-W ignore`, `-X utf8`).
            "-W" | "-X" => {
                words.next();
            }
            "-m" => {
                let module = words.next().map_or("", String::as_str);
                if MODULES.contains(&module) {
                    let rest: Vec<String> = std::iter::once(module.to_string())
                        .chain(words.cloned())
                        .collect();
                    return one_command_writes(&rest, cwd, out);
                }
                return out.add(name, Write::Script(format!("{name} -m {module}")));
            }
            "-c" | "-e" | "--eval" => return,
            // `perl -pi -e CODE FILE`: flags run together, code given inline.
            flag if flag.starts_with('-') && !flag.starts_with("--") && flag.ends_with('e') => {
                return
            }
            flag if flag.starts_with('-') => {}
            script => return out.add(name, Write::Script(script.to_string())),
        }
    }
    out.add(
        name,
        Write::Unknown(format!("{name} reading its program from its input")),
    );
}

/// Paths a program's flags name for it to write (`--log-file=/var/log/app.log`,
/// `--pid-file /run/app.pid`, `--data-dir`), by the flag's name: a flag that names a
/// file to read (`--config`) is not one.
fn flag_writes(name: &str, args: &[String], cwd: &Option<String>, out: &mut Sink) {
    const WRITTEN: [&str; 10] = [
        "log", "pid", "out", "cache", "data", "tmp", "temp", "state", "socket", "dump",
    ];
    let mut words = args.iter().peekable();
    while let Some(w) = words.next() {
        let Some(flag) = w.strip_prefix("--").or_else(|| w.strip_prefix('-')) else {
            continue;
        };
        let (flag, value) = match flag.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_string())),
            None => (flag, None),
        };
        let flag_lower = flag.to_ascii_lowercase();
        if !WRITTEN.iter().any(|part| flag_lower.contains(part)) {
            continue;
        }
        let value = value.or_else(|| {
            words
                .next_if(|next| next.starts_with('/') || next.starts_with("./"))
                .cloned()
        });
        if let Some(write) = value
            .filter(|v| v.contains('/'))
            .and_then(|v| place(&v, cwd.as_deref()))
        {
            out.add(name, write);
        }
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
            if let Some(home) = home_assigned(first) {
                out.home = home;
            }
            if let Some(tmp) = tmpdir_assigned(first) {
                out.tmpdir = tmp;
            }
            words = &words[1..];
            continue;
        }
        let name = program(first);
        let Some((_, takes, operands)) = WRAPPERS.iter().find(|w| w.0 == name) else {
            return Some(words);
        };
        let mut i = 1;
        let mut script = false;
        let mut stdin = false;
        while let Some(w) = words.get(i) {
            if w == "--" {
                i += 1;
                break;
            }
            if !w.starts_with('-') || w == "-" {
                break;
            }
            script |= !w.starts_with("--") && w.contains('c');
            stdin |= !w.starts_with("--") && w.contains('s');
            i += if takes_next(w, takes) { 2 } else { 1 };
        }
        if SHELLS.contains(&name) {
            // `sh -c SCRIPT NAME ARGS...`: its own working directory; the words after
            // the script are its parameters. `sh FILE` runs a file of the image.
            // `sh -s ARGS`, or a shell with neither: its commands are its input's.
            match words.get(i) {
                Some(text) if script => {
                    script_writes(text, cwd.clone(), out);
                    // Its parameters, when it runs them (`exec "$@"`).
                    let runs = ["$@", "${@}", "$*", "${*}", "$1", "${1}"];
                    let runs = runs.iter().any(|p| text.contains(p));
                    if let Some(params) = words.get(i + 2..).filter(|p| runs && !p.is_empty()) {
                        command_writes(params, &mut cwd.clone(), out);
                    }
                }
                Some(file) if !stdin => out.add(name, Write::Script(file.clone())),
                _ => out.add(name, Write::Unknown(STDIN_SHELL.to_string())),
            }
            return None;
        }
        words = words.get(i + operands..).unwrap_or_default();
    }
}

/// What runs when a shell reads its commands from its standard input.
const STDIN_SHELL: &str = "a shell reading its standard input";

/// Where a wrapper's command begins in `args`: after its options (each that takes an
/// argument with it) and a `--`.
fn command_start(args: &[String], takes: &[&str]) -> usize {
    let mut i = 0;
    while let Some(w) = args.get(i) {
        if w == "--" {
            return i + 1;
        }
        if !w.starts_with('-') || w == "-" {
            break;
        }
        i += if takes_next(w, takes) { 2 } else { 1 };
    }
    i
}

/// `su -c SCRIPT`, `su USER -c SCRIPT`, `runuser -c SCRIPT`: the script is read;
/// `runuser -u USER CMD` runs `CMD`; without either, a shell reads its input.
fn su_writes(name: &str, args: &[String], cwd: &mut Option<String>, out: &mut Sink) {
    #[rustfmt::skip]
    const TAKES: &[&str] = &[
        "-c", "--command", "-C", "--session-command", "-s", "--shell", "-g", "--group",
        "-G", "--supp-group", "-u", "--user", "-w", "--whitelist-environment",
    ];
    let parsed = Args::parse(args, TAKES);
    if let Some(script) = parsed
        .values(&["-c", "--command", "-C", "--session-command"])
        .first()
    {
        script_writes(script, cwd.clone(), out);
    } else if name == "runuser" && !parsed.values(&["-u", "--user"]).is_empty() {
        let at = command_start(args, TAKES);
        command_writes(args.get(at..).unwrap_or_default(), &mut cwd.clone(), out);
    } else {
        out.add(name, Write::Unknown(STDIN_SHELL.to_string()));
    }
}

/// `watch [-n 2] CMD...`: its words, joined, run by `sh -c` (as they are with `-x`).
fn watch_writes(args: &[String], cwd: &mut Option<String>, out: &mut Sink) {
    const TAKES: &[&str] = &["-n", "--interval", "-q", "--equexit"];
    let at = command_start(args, TAKES);
    let exec = args[..at]
        .iter()
        .any(|w| w == "--exec" || (!w.starts_with("--") && w.starts_with('-') && w.contains('x')));
    let run = args.get(at..).unwrap_or_default();
    if exec {
        command_writes(run, &mut cwd.clone(), out);
    } else {
        script_writes(&run.join(" "), cwd.clone(), out);
    }
}

/// `flock FILE CMD...`, `flock FILE -c SCRIPT`: it creates `FILE` (not a descriptor's
/// number), then runs the command.
fn flock_writes(args: &[String], cwd: &mut Option<String>, out: &mut Sink) {
    #[rustfmt::skip]
    const TAKES: &[&str] = &[
        "-w", "--wait", "--timeout", "-E", "--conflict-exit-code", "-c", "--command",
    ];
    let at = command_start(args, TAKES);
    let Some(file) = args.get(at) else {
        return;
    };
    if file.chars().all(|c| c.is_ascii_digit()) {
        return;
    }
    if let Some(w) = place(file, cwd.as_deref()) {
        out.add("flock", w);
    }
    let before = Args::parse(&args[..at], TAKES);
    let before = before.values(&["-c", "--command"]);
    let rest = &args[at + 1..];
    match (rest.first().map(String::as_str), before.first()) {
        (Some("-c" | "--command"), _) => {
            if let Some(script) = rest.get(1) {
                script_writes(script, cwd.clone(), out);
            }
        }
        (_, Some(script)) => script_writes(script, cwd.clone(), out),
        _ => command_writes(rest, &mut cwd.clone(), out),
    }
}

/// `parallel CMD ::: ARGS`: its command's words, joined, run by a shell with what it
/// reads in place of `{}` (or after them), as `xargs` does; and its `--joblog`,
/// `--results` and `--tmpdir`. Without a command, it runs the lines it reads.
fn parallel_writes(args: &[String], cwd: &mut Option<String>, out: &mut Sink) {
    #[rustfmt::skip]
    const TAKES: &[&str] = &[
        "-j", "--jobs", "-N", "-n", "--max-args", "-S", "--sshlogin", "-a", "--arg-file",
        "--joblog", "--results", "--res", "--tmpdir", "-I", "--colsep", "-C", "-d",
        "--delimiter", "-E", "--timeout", "--delay", "-L", "--max-lines", "--retries",
        "--memfree", "--load", "--halt", "--tag-string", "--workdir", "--wd", "--slf",
        "--sshloginfile",
    ];
    let at = command_start(args, TAKES);
    let parsed = Args::parse(&args[..at], TAKES);
    for file in parsed.values(&["--joblog", "--results", "--res", "--tmpdir"]) {
        if let Some(w) = place(file, cwd.as_deref()) {
            out.add("parallel", w);
        }
    }
    let run: Vec<&String> = args[at..]
        .iter()
        .take_while(|w| !w.starts_with(":::"))
        .collect();
    if run.is_empty() {
        out.add(
            "parallel",
            Write::Unknown("the commands parallel reads".to_string()),
        );
        return;
    }
    let input = format!("'{XARGS_INPUT}'");
    let replace = parsed.values(&["-I"]);
    let marks: Vec<&str> = match replace.first() {
        Some(r) => vec![*r],
        None => vec!["{}", "{.}", "{/}", "{//}", "{/.}"],
    };
    let mut script: Vec<String> = run.iter().map(|w| w.to_string()).collect();
    let mut replaced = false;
    for w in &mut script {
        for mark in &marks {
            if w.contains(mark) {
                *w = w.replace(mark, &input);
                replaced = true;
            }
        }
    }
    if !replaced {
        script.push(input);
    }
    script_writes(&script.join(" "), cwd.clone(), out);
}

/// `script [-c CMD] [FILE]`: it writes its typescript (`FILE`, else `typescript` in
/// the working directory) and its logs, and runs `CMD`.
fn typescript_writes(args: &[String], cwd: &mut Option<String>, out: &mut Sink) {
    #[rustfmt::skip]
    const TAKES: &[&str] = &[
        "-c", "--command", "-E", "--echo", "-I", "--log-in", "-O", "--log-out", "-B",
        "--log-io", "-T", "--log-timing", "-m", "--logging-format", "-o", "--output-limit",
    ];
    let parsed = Args::parse(args, TAKES);
    let logs = parsed.values(&[
        "-I",
        "--log-in",
        "-O",
        "--log-out",
        "-B",
        "--log-io",
        "-T",
        "--log-timing",
    ]);
    let mut files: Vec<&str> = parsed.operands.iter().take(1).copied().collect();
    if files.is_empty()
        && parsed
            .values(&["-O", "--log-out", "-B", "--log-io"])
            .is_empty()
    {
        files.push("typescript");
    }
    for file in files.into_iter().chain(logs) {
        if let Some(w) = place(file, cwd.as_deref()) {
            out.add("script", w);
        }
    }
    if let Some(run) = parsed.values(&["-c", "--command"]).first() {
        script_writes(run, cwd.clone(), out);
    }
}

/// `mktemp`: a file (or `-d` directory) in `-p DIR` or `--tmpdir=DIR`, else
/// `$TMPDIR` or /tmp (`-t`, `--tmpdir`, or no template), else where its template says (`mktemp
/// app.XXXX` in the working directory); `-u` creates nothing.
fn mktemp_writes(args: &[String], cwd: &mut Option<String>, out: &mut Sink) {
    let parsed = Args::parse(args, &["-p", "--suffix"]);
    if parsed.has("-u") || parsed.has("--dry-run") {
        return;
    }
    let dir = parsed.values(&["-p", "--tmpdir"]);
    let template = parsed.operands.first().copied();
    let to = match (dir.first(), template) {
        (Some(dir), _) => *dir,
        (None, Some(template)) if !parsed.has("-t") && !parsed.has("--tmpdir") => template,
        _ => out.tmpdir.as_str(),
    };
    let to = to.to_string();
    let to = to.as_str();
    if let Some(w) = place(to, cwd.as_deref()) {
        out.add("mktemp", w);
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

/// The shell's positional parameters as a word (`$@`, `"$*"`, `$1`).
fn is_positional(word: &str) -> bool {
    let name = word
        .strip_prefix("${")
        .and_then(|w| w.strip_suffix('}'))
        .or_else(|| word.strip_prefix('$'));
    name.is_some_and(|n| {
        n == "@" || n == "*" || (n.len() == 1 && n != "0" && n.chars().all(|c| c.is_ascii_digit()))
    })
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

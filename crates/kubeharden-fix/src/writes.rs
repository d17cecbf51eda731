//! What a container's spec shows it writes, for judging whether its root filesystem
//! can be read-only: where its image is known to write, where its command and args
//! redirect (`> /var/run/app.pid`), what the commands in them name as their
//! destination (`cp a /app/b`, `curl -o /opt/f`, `tar -x -C /opt`), and the package
//! managers among them: a local install writes its working directory, a global one
//! the root filesystem. Each write keeps the command that makes it and where the spec
//! runs it, for the reason of a refusal.
//!
//! A command is read the way a shell splits it (quotes, `;`, `&&`, `|`, redirects,
//! heredocs, `sh -c`, `cd`, command substitutions), never run, and so are the commands
//! others run (wrappers, `xargs`, `find -exec`). A write whose place the spec does not
//! settle (a relative path without a `workingDir`, `$HOME/x`, what `xargs` reads) is
//! returned as such, and so is a script of the image the spec runs (`sh /start.sh`),
//! so that `fix` refuses rather than guesses.

use k8s_openapi::api::core::v1::Container;

/// Something the container's spec shows it writes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Write {
    /// An absolute path (`/app/x`); a relative one is resolved against the working
    /// directory when the spec names it (`workingDir`, a `cd`).
    Path(String),
    /// A path relative to a working directory the spec does not name (`.` for the
    /// directory itself, where `wget URL` writes).
    Relative(String),
    /// A path the spec does not settle: a variable's (`$HOME/x`), `~/x`, a command's
    /// output (`$(dirname x)`).
    Unsettled(String),
    /// The root filesystem at large: a package manager's run (`pip install`).
    Root(String),
    /// Whatever a shell script the spec names but does not hold writes (`sh
    /// /start.sh`, `./entrypoint.sh`, `source x`): the image's script is not read.
    Script(String),
}

/// A write with what shows it, so that a refusal can name both.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Written {
    pub write: Write,
    /// The command that writes (`cp`, `npm install`), `redirect` for a redirect, or the
    /// image for its known writes.
    pub by: String,
    /// Where the spec runs it: `command`, `args`, `postStart hook`, `liveness
    /// probe`..., or `image`.
    pub within: &'static str,
}

impl Written {
    /// `cp, in command` (`in command` for a script run as the command itself): for a
    /// reason's parentheses.
    pub fn origin(&self) -> String {
        match self.by.as_str() {
            "" => format!("in {}", self.within),
            by => format!("{by}, in {}", self.within),
        }
    }
}

/// Where the writes found go, and where the spec runs the command being read.
struct Sink {
    found: Vec<Written>,
    within: &'static str,
}

impl Sink {
    fn add(&mut self, by: &str, write: Write) {
        let within = self.within;
        self.found.push(Written {
            write,
            by: by.to_string(),
            within,
        });
    }
}

/// Where an image is known to write besides /tmp (nginx's official image: its cache
/// and its pid file), by the image's name.
const KNOWN_WRITES: [(&str, &[&str]); 1] = [("nginx", &["/var/cache/nginx", "/var/run/nginx.pid"])];

/// How a command names what it writes.
#[derive(Clone, Copy, Debug)]
enum Dest {
    /// Every operand (`touch a b`, `rm -f a`).
    Operands,
    /// Every operand after the first (`chmod +x a`, `sed -i SCRIPT a`); every one
    /// when one of these options stands for the first (`sed -e SCRIPT a`).
    AfterFirst(&'static [&'static str]),
    /// The argument of `-t`/`--target-directory`, else the last operand (`cp a b`);
    /// the working directory when there is one operand only (`ln -s /x`).
    Last,
    /// The operand at this index (`git clone URL DIR`, `clone` at 0), else the
    /// working directory.
    Nth(usize),
    /// The value of each operand that starts with this key (`dd of=FILE`).
    Key(&'static str),
    /// The argument of any of these options (`curl -o FILE`); without one, this
    /// path: the working directory for `wget URL`, none for `curl URL` (it writes to
    /// its standard output), a cache (`~/.npm`).
    Arg(&'static [&'static str], Option<&'static str>),
    /// A package manager's install: into the argument of one of these options (a
    /// prefix, `npm --prefix DIR`, `pip -t DIR`), else into the working directory
    /// if `true` and not told to install globally (`npm install` writes
    /// `node_modules` there), else the root filesystem (`pip install`, `npm -g`).
    Packages(&'static [&'static str], bool),
    /// The root filesystem, wherever the container's volumes are (package managers).
    Root,
}

use Dest::*;

/// One way a command writes: its name; the words one of which it must be given to
/// write this way (a subcommand such as `install`, or an option such as `-x`; none:
/// always); its options that take an argument (so that the argument is not read as
/// an operand); and what it writes.
type Writer = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    Dest,
);

/// The commands whose writes `fix` knows, and how each names what it writes. Two
/// rows of one command both apply (`mv` writes its destination and removes its
/// sources). A command not here writes nothing `fix` knows of.
#[rustfmt::skip]
const WRITERS: &[Writer] = &[
    ("tee", &[], &[], Operands),
    ("touch", &[], &["-d", "--date", "-r", "--reference", "-t"], Operands),
    ("mkdir", &[], &["-m", "--mode"], Operands),
    ("mkfifo", &[], &["-m", "--mode"], Operands),
    ("rm", &[], &[], Operands),
    ("rmdir", &[], &[], Operands),
    ("truncate", &[], &["-s", "--size", "-r", "--reference"], Operands),
    ("cp", &[], COPY, Last),
    ("ln", &[], COPY, Last),
    ("mv", &[], COPY, Last),
    ("mv", &[], COPY, Operands),
    ("install", &[], INSTALL, Last),
    ("install", &["-d", "--directory"], INSTALL, Operands),
    ("rsync", &[], &["-e", "--rsh", "-f", "--filter", "--exclude", "--include"], Last),
    ("dd", &[], &[], Key("of=")),
    ("sed", &["-i", "--in-place"], SED, AfterFirst(SED)),
    ("perl", &["-i"], &["-e", "-E", "-M", "-m", "-I", "-x"], AfterFirst(&["-e", "-E"])),
    ("chmod", &[], &["--reference"], AfterFirst(&["--reference"])),
    ("chown", &[], &["--reference", "--from"], AfterFirst(&["--reference"])),
    ("chgrp", &[], &["--reference"], AfterFirst(&["--reference"])),
    ("tar", &["-x", "--extract", "--get"], TAR, Arg(&["-C", "--directory"], Some("."))),
    ("tar", &["-c", "--create", "-r", "--append", "-u", "--update"], TAR, Arg(&["-f", "--file"], None)),
    ("unzip", &[], &["-d"], Arg(&["-d"], Some("."))),
    ("wget", &[], WGET, Arg(&["-O", "--output-document", "-P", "--directory-prefix"], Some("."))),
    ("wget", &[], WGET, Arg(&["-o", "--output-file", "-a", "--append-output"], None)),
    ("curl", &[], CURL, Arg(&["-o", "--output", "-D", "--dump-header", "-c", "--cookie-jar", "--trace", "--trace-ascii", "--stderr"], None)),
    ("curl", &["-O", "--remote-name", "--remote-name-all", "-J"], CURL, Arg(&["--output-dir"], Some("."))),
    ("git", &["clone"], GIT, Nth(2)),
    ("git", &["clone"], GIT, Arg(&["-C"], None)),
    ("git", &["init"], GIT, Nth(1)),
    ("git", &["pull", "fetch", "checkout", "switch", "reset", "merge", "submodule"], GIT, Arg(&["-C"], Some("."))),
    // Package managers write the root filesystem (/usr, /var/lib, a cache under $HOME).
    ("apt-get", PACKAGES, &["-o", "-c"], Root),
    ("apt", PACKAGES, &["-o", "-c"], Root),
    ("apk", PACKAGES, &["-X", "--repository", "-p", "--root"], Root),
    ("yum", PACKAGES, &["-c", "--setopt"], Root),
    ("dnf", PACKAGES, &["-c", "--setopt"], Root),
    ("microdnf", PACKAGES, &[], Root),
    ("zypper", PACKAGES, &[], Root),
    ("dpkg", &["-i", "--install", "-r", "--remove", "-P", "--purge"], &[], Root),
    ("rpm", &["-i", "--install", "-U", "--upgrade", "-e", "--erase"], &[], Root),
    ("pip", PIP_INSTALL, PIP, Packages(PIP_PREFIX, false)),
    ("pip", PIP_INSTALL, PIP, Arg(&["--cache-dir"], Some("~/.cache/pip"))),
    ("pipx", PACKAGES, &[], Root),
    // JavaScript installs write `node_modules` into the working directory (`-g`:
    // the global prefix), and the download cache under the home directory.
    ("npm", NPM_INSTALL, NPM, Packages(&["--prefix"], true)),
    ("npm", NPM_INSTALL, NPM, Arg(&["--cache"], Some("~/.npm"))),
    ("yarn", NPM_INSTALL, YARN, Packages(&["--cwd", "--modules-folder"], true)),
    ("yarn", NPM_INSTALL, YARN, Arg(&["--cache-folder"], Some("~/.cache/yarn"))),
    ("pnpm", NPM_INSTALL, PNPM, Packages(&["--dir", "-C"], true)),
    ("pnpm", NPM_INSTALL, PNPM, Arg(&["--store-dir"], Some("~/.local/share/pnpm"))),
    ("gem", PACKAGES, &[], Packages(&["-i", "--install-dir"], false)),
    ("bundle", PACKAGES, &[], Packages(&["--path"], false)),
    ("cargo", PACKAGES, &[], Packages(&["--root"], false)),
    // `go build` writes its program into the working directory (or `-o`) and its
    // build cache under the home directory; `go install` into GOPATH.
    ("go", &["build"], &["-o"], Arg(&["-o"], Some("."))),
    ("go", &["build"], &["-o"], Arg(&[], Some("~/.cache/go-build"))),
    ("go", &["install", "get", "mod"], &[], Root),
    ("composer", PACKAGES, &["-d", "--working-dir"], Packages(&["-d", "--working-dir"], true)),
    ("conda", PACKAGES, &["-c", "--channel", "-n", "--name", "-p", "--prefix"], Root),
];

/// A package manager's subcommands that write (`apt-get install`, `npm ci`).
#[rustfmt::skip]
const PACKAGES: &[&str] = &[
    "install", "add", "update", "upgrade", "dist-upgrade", "remove", "purge", "del",
    "erase", "reinstall", "uninstall", "i", "ci", "in", "global", "get",
];

/// The subcommands of `npm`, `yarn` and `pnpm` that install (`npm ci`, `yarn add`).
#[rustfmt::skip]
const NPM_INSTALL: &[&str] = &[
    "install", "i", "ci", "add", "update", "upgrade", "remove", "uninstall", "global",
];
const PIP_INSTALL: &[&str] = &["install", "uninstall", "download", "wheel"];
/// Where `pip` installs instead of its environment (`--user`: the home directory).
const PIP_PREFIX: &[&str] = &[
    "-t",
    "--target",
    "--prefix",
    "--root",
    "-d",
    "--dest",
    "-w",
    "--wheel-dir",
];

// Options that take an argument, of commands the table names more than once. Only
// those matter that change what is read as an operand or as a cluster of options
// (`curl -XPOST` is no `-O`).
const COPY: &[&str] = &["-S", "--suffix", "-t", "--target-directory"];
#[rustfmt::skip]
const INSTALL: &[&str] = &[
    "-m", "--mode", "-o", "--owner", "-g", "--group", "-S", "--suffix", "-t",
    "--target-directory",
];
#[rustfmt::skip]
const PIP: &[&str] = &[
    "-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url",
    "-e", "--editable", "--cache-dir",
];
const NPM: &[&str] = &["--prefix", "--cache", "--registry", "-w", "--workspace"];
const YARN: &[&str] = &["--cwd", "--modules-folder", "--cache-folder", "--registry"];
const PNPM: &[&str] = &["--dir", "-C", "--store-dir", "--filter", "-F"];
const SED: &[&str] = &["-e", "--expression", "-f", "--file"];
const TAR: &[&str] = &["-f", "--file", "-C", "--directory", "-T", "-X", "-b", "-I"];
#[rustfmt::skip]
const WGET: &[&str] = &[
    "-O", "--output-document", "-P", "--directory-prefix", "-o", "--output-file", "-a",
    "--append-output", "-U", "-e", "-t", "-T", "-i",
];
#[rustfmt::skip]
const CURL: &[&str] = &[
    "-o", "--output", "--output-dir", "-D", "-c", "-H", "-d", "-F", "-X", "-u", "-A", "-e",
    "-b", "-T", "-w", "-m", "-x", "-r", "-E", "-K", "-C", "-z",
];
#[rustfmt::skip]
const GIT: &[&str] = &[
    "-C", "-c", "--git-dir", "--work-tree", "-b", "--branch", "--depth", "-o", "--origin",
    "--reference", "--separate-git-dir", "-j", "--jobs", "--config", "--filter", "-u",
    "--upload-pack", "--template",
];

/// Words that run the command after them (`exec app`, `gosu user app`, `then app`):
/// the options of each that take an argument, and how many operands of its own come
/// before the command.
#[rustfmt::skip]
const WRAPPERS: &[(&str, &[&str], usize)] = &[
    ("exec", &["-a"], 0),
    ("command", &[], 0),
    ("builtin", &[], 0),
    ("nohup", &[], 0),
    ("setsid", &[], 0),
    // `chroot DIR cmd`: DIR is the new root, taken as `/` (a root of the image).
    ("chroot", &["--userspec", "--groups"], 1),
    ("time", &[], 0),
    ("env", &["-u", "--unset", "-C", "--chdir", "-S", "--split-string"], 0),
    ("sudo", &["-u", "--user", "-g", "--group", "-D", "--chdir", "-C", "-h", "-p", "-r", "-t", "-U"], 0),
    ("nice", &["-n", "--adjustment"], 0),
    ("ionice", &["-c", "-n", "-p"], 0),
    ("stdbuf", &["-i", "-o", "-e"], 0),
    ("timeout", &["-s", "--signal", "-k", "--kill-after"], 1),
    ("su-exec", &[], 1),
    ("gosu", &[], 1),
    ("tini", &["-p", "-e"], 0),
    ("dumb-init", &["-r", "--rewrite"], 0),
    ("busybox", &[], 0),
    // `python -m pip install`: the module runs as the command.
    ("python", &["-W", "-X"], 0),
    // Shells: with `-c`, their first operand is a script, read in turn.
    ("sh", &["-o", "-O"], 0),
    ("bash", &["-o", "-O", "--rcfile", "--init-file"], 0),
    ("ash", &["-o"], 0),
    ("dash", &["-o"], 0),
    ("zsh", &["-o"], 0),
    ("ksh", &["-o"], 0),
    // A shell's reserved words before a command.
    ("if", &[], 0),
    ("then", &[], 0),
    ("else", &[], 0),
    ("elif", &[], 0),
    ("while", &[], 0),
    ("until", &[], 0),
    ("do", &[], 0),
    ("!", &[], 0),
    ("{", &[], 0),
];

const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh"];

/// What the container's spec shows it writes: its image's known paths, then what
/// its command and args write, each once.
pub fn written(c: &Container) -> Vec<Written> {
    let mut sink = Sink {
        found: Vec::new(),
        within: "image",
    };
    let image = c.image.as_deref().unwrap_or_default();
    let name = image.rsplit('/').next().unwrap_or_default();
    let name = name.split([':', '@']).next().unwrap_or_default();
    for (known, writes) in KNOWN_WRITES {
        if name == known {
            for path in writes.iter() {
                sink.add(name, Write::Path(path.to_string()));
            }
        }
    }
    let cwd = c
        .working_dir
        .as_deref()
        .filter(|d| d.starts_with('/'))
        .map(normalize);
    let argv: Vec<String> = c
        .command
        .iter()
        .chain(c.args.iter())
        .flatten()
        .cloned()
        .collect();
    sink.within = if c.command.is_some() {
        "command"
    } else {
        "args"
    };
    command_writes(&argv, &mut cwd.clone(), &mut sink);
    // With a command of its own, the args may still be one run by it (an entrypoint
    // script's `exec "$@"`).
    if let (Some(_), Some(args)) = (&c.command, &c.args) {
        sink.within = "args";
        command_writes(args, &mut cwd.clone(), &mut sink);
    }
    // Hooks and exec probes run in the container too: a postStart hook or a liveness
    // probe that cannot write fails, and the kubelet restarts the container.
    for (within, exec) in hook_and_probe_commands(c) {
        sink.within = within;
        command_writes(exec, &mut cwd.clone(), &mut sink);
    }
    let home = env_value(c, "HOME");
    let mut found: Vec<Written> = sink.found.into_iter().map(|w| at_home(w, home)).collect();
    let mut seen = std::collections::BTreeSet::new();
    found.retain(|w| seen.insert(w.clone()));
    found
}

/// The literal value the container's `env` gives a variable (not one from a
/// reference, nor one that names another variable).
fn env_value<'a>(c: &'a Container, name: &str) -> Option<&'a str> {
    let var = c.env.iter().flatten().find(|v| v.name == name)?;
    var.value_from.is_none().then_some(())?;
    var.value
        .as_deref()
        .filter(|v| v.starts_with('/') && !v.contains('$'))
}

/// A write under the home directory placed, when the container's `env` sets `HOME`
/// to a literal path: package managers keep their caches there (`~/.npm`).
fn at_home(w: Written, home: Option<&str>) -> Written {
    let (Write::Unsettled(path), Some(home)) = (&w.write, home) else {
        return w;
    };
    let rest = ["~/", "$HOME/", "${HOME}/"]
        .iter()
        .find_map(|prefix| path.strip_prefix(prefix));
    match rest.and_then(|rest| place(&format!("{home}/{rest}"), None)) {
        Some(write) => Written { write, ..w },
        None => w,
    }
}

/// The commands of a container's lifecycle hooks and exec probes, each with where
/// the spec runs it.
fn hook_and_probe_commands(c: &Container) -> Vec<(&'static str, &Vec<String>)> {
    let hooks = c.lifecycle.iter().flat_map(|l| {
        [
            ("postStart hook", &l.post_start),
            ("preStop hook", &l.pre_stop),
        ]
        .into_iter()
        .filter_map(|(within, h)| Some((within, h.as_ref()?.exec.as_ref()?)))
    });
    let probes = [
        ("liveness probe", &c.liveness_probe),
        ("readiness probe", &c.readiness_probe),
        ("startup probe", &c.startup_probe),
    ]
    .into_iter()
    .filter_map(|(within, p)| Some((within, p.as_ref()?.exec.as_ref()?)));
    hooks
        .chain(probes)
        .filter_map(|(within, exec)| Some((within, exec.command.as_ref()?)))
        .collect()
}

/// What one command writes, its words split already (an argv, or a simple command of
/// a script); a `cd` moves `cwd`.
fn command_writes(words: &[String], cwd: &mut Option<String>, out: &mut Sink) {
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
const XARGS_INPUT: &str = "$(xargs input)";

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

/// What a command of the table writes (`cp a /opt/b`, `curl -o F`, `pip install`).
fn table_writes(name: &str, args: &[String], cwd: &Option<String>, out: &mut Sink) {
    for (_, given, takes, dest) in WRITERS.iter().filter(|w| w.0 == name) {
        // The options that name what it writes take an argument too.
        let named: &[&str] = match dest {
            Last => &["-t", "--target-directory"],
            AfterFirst(names) | Arg(names, _) | Packages(names, _) => names,
            _ => &[],
        };
        let takes: Vec<&str> = takes.iter().chain(named).copied().collect();
        let args = Args::parse(args, &takes);
        let Some(given) = args.given(given) else {
            continue;
        };
        let by = format!("{name} {given}").trim_end().to_string();
        if let Some(write) = root_write(*dest, &args, &by) {
            out.add(&by, write);
            continue;
        }
        for path in dest_paths(*dest, &args) {
            if let Some(write) = place(path, cwd.as_deref()) {
                out.add(&by, write);
            }
        }
    }
}

/// The root filesystem at large, when that is what a command of the table writes:
/// a package manager that installs globally (`apt-get install`, `npm install -g`
/// without a `--prefix`).
fn root_write(dest: Dest, args: &Args<'_>, by: &str) -> Option<Write> {
    let global = match dest {
        Root => true,
        Packages(prefixes, local) => {
            install_prefix(args, prefixes).is_empty() && (!local || args.global())
        }
        _ => false,
    };
    global.then(|| Write::Root(by.to_string()))
}

/// Where a package manager is told to install instead of its default: a prefix
/// option's argument, or the home directory (`pip install --user`).
fn install_prefix<'a>(args: &Args<'a>, prefixes: &[&str]) -> Vec<&'a str> {
    match args.values(prefixes) {
        to if to.is_empty() && args.has("--user") => vec!["~/.local"],
        to => to,
    }
}

/// The paths a command of the table writes, as its words name them.
fn dest_paths<'a>(dest: Dest, args: &Args<'a>) -> Vec<&'a str> {
    match dest {
        Operands => args.operands.clone(),
        AfterFirst(instead) if instead.iter().any(|o| args.has(o)) => args.operands.clone(),
        AfterFirst(_) => args.operands.iter().skip(1).copied().collect(),
        Last => {
            let to = args.values(&["-t", "--target-directory"]);
            match args.operands.as_slice() {
                _ if !to.is_empty() => to,
                [] => vec![],
                [_] => vec!["."],
                [.., last] => vec![*last],
            }
        }
        Nth(n) => vec![args.operands.get(n).copied().unwrap_or(".")],
        Key(key) => args
            .operands
            .iter()
            .filter_map(|o| o.strip_prefix(key))
            .collect(),
        Arg(names, otherwise) => match args.values(names) {
            // `pip --no-cache-dir` keeps no cache.
            to if to.is_empty() && !args.has("--no-cache-dir") => otherwise.into_iter().collect(),
            to => to,
        },
        // A local install: into its prefix, else the working directory.
        Packages(prefixes, _) => match install_prefix(args, prefixes) {
            to if to.is_empty() => vec!["."],
            to => to,
        },
        Root => vec![],
    }
}

/// A command's words as `fix` reads its options, where a shell form differs: `tar`'s
/// first word is its options without a dash (`tar xzf a.tgz`); a mode of `chmod` may
/// look like an option (`chmod -x a`), and is written with `a` (all) before it;
/// `yarn` without a subcommand installs.
fn shell_forms(name: &str, words: &[String]) -> Vec<String> {
    let mut words = words.to_vec();
    match name {
        "tar" => {
            if let Some(first) = words.first_mut().filter(|w| !w.starts_with('-')) {
                first.insert(0, '-');
            }
        }
        "yarn" if Args::parse(&words, YARN).operands.is_empty() => words.push("install".into()),
        "chmod" => {
            for w in &mut words {
                let mode = |m: &str| !m.is_empty() && m.chars().all(|c| "rwxXst".contains(c));
                if w.strip_prefix('-').is_some_and(mode) {
                    w.insert(0, 'a');
                }
            }
        }
        _ => {}
    }
    words
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
fn place(path: &str, cwd: Option<&str>) -> Option<Write> {
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
fn normalize(path: &str) -> String {
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

/// A command's words after its name: its options, each with its argument if it takes
/// one, and its operands. Options may come after operands (GNU style) until `--`.
struct Args<'a> {
    options: Vec<(String, Option<&'a str>)>,
    operands: Vec<&'a str>,
}

impl<'a> Args<'a> {
    /// Reads `words` given the options that take an argument (`-o FILE`, `-oFILE`,
    /// `--output FILE`, `--output=FILE`; `-sSLo FILE` as `-s -S -L -o FILE`).
    fn parse(words: &'a [String], takes: &[&str]) -> Self {
        let mut args = Args {
            options: Vec::new(),
            operands: Vec::new(),
        };
        let mut words = words.iter().map(String::as_str);
        while let Some(word) = words.next() {
            if word == "--" {
                args.operands.extend(words.by_ref());
            } else if takes.contains(&word) {
                args.options.push((word.to_string(), words.next()));
            } else if let Some(long) = word.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((name, value)) => (name, Some(value)),
                    None => (long, None),
                };
                args.options.push((format!("--{name}"), value));
            } else if word.len() > 1 && word.starts_with('-') {
                for (at, letter) in word.char_indices().skip(1) {
                    let option = format!("-{letter}");
                    if takes.contains(&option.as_str()) {
                        let rest = &word[at + letter.len_utf8()..];
                        let value = if rest.is_empty() {
                            words.next()
                        } else {
                            Some(rest)
                        };
                        args.options.push((option, value));
                        break;
                    }
                    args.options.push((option, None));
                }
            } else {
                args.operands.push(word);
            }
        }
        args
    }

    /// Whether a package manager is told to install globally (`npm -g`, `npm
    /// --location=global`, `yarn global add`).
    fn global(&self) -> bool {
        ["-g", "--global"].iter().any(|g| self.has(g))
            || self.values(&["--location"]).contains(&"global")
            || self.operands.first() == Some(&"global")
    }

    fn has(&self, name: &str) -> bool {
        self.options.iter().any(|(o, _)| o == name)
    }

    /// The arguments given to any of the options `names`.
    fn values(&self, names: &[&str]) -> Vec<&'a str> {
        self.options
            .iter()
            .filter(|(o, _)| names.contains(&o.as_str()))
            .filter_map(|(_, v)| *v)
            .collect()
    }

    /// Which of `given` the command was given (an option, or a subcommand among its
    /// operands); `""` when `given` is empty, as a command that always writes.
    fn given(&self, given: &[&'static str]) -> Option<&'static str> {
        if given.is_empty() {
            return Some("");
        }
        given.iter().copied().find(|g| {
            if g.starts_with('-') {
                self.has(g)
            } else {
                self.operands.contains(g)
            }
        })
    }
}

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
fn script_writes(script: &str, cwd: Option<String>, out: &mut Sink) {
    // The working directory, one for each subshell the script is in.
    let mut cwds = vec![cwd];
    let mut words = Vec::new();
    let mut tokens = tokenize(script).into_iter().peekable();
    while let Some(token) = tokens.next() {
        let cwd = cwds.last_mut().expect("the script's own directory");
        match token {
            Token::Word(w) => words.push(w),
            Token::WriteTo | Token::ReadFrom => {
                let target = tokens.next_if(|t| matches!(t, Token::Word(_)));
                if let (Token::WriteTo, Some(Token::Word(target))) = (&token, target) {
                    if let Some(write) = place(&target, cwd.as_deref()) {
                        out.add("redirect", write);
                    }
                }
            }
            Token::End | Token::Open | Token::Close => {
                command_writes(&std::mem::take(&mut words), cwd, out);
                if token == Token::Open {
                    let inner = cwd.clone();
                    cwds.push(inner);
                } else if token == Token::Close && cwds.len() > 1 {
                    cwds.pop();
                }
            }
        }
    }
    let cwd = cwds.last_mut().expect("the script's own directory");
    command_writes(&words, cwd, out);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn container(image: &str, command: &[&str]) -> Container {
        Container {
            image: Some(image.into()),
            command: Some(command.iter().map(|s| s.to_string()).collect()),
            ..Container::default()
        }
    }

    /// What the container writes, without what shows it.
    fn places(c: &Container) -> Vec<Write> {
        let mut places: Vec<Write> = written(c).into_iter().map(|w| w.write).collect();
        let mut seen = std::collections::BTreeSet::new();
        places.retain(|w| seen.insert(w.clone()));
        places
    }

    /// The writes of `command` run by `sh -c`, in working directory `cwd`.
    fn in_shell(script: &str, cwd: Option<&str>) -> Vec<Write> {
        let mut c = container("app:1", &["sh", "-c", script]);
        c.working_dir = cwd.map(str::to_string);
        places(&c)
    }

    #[test]
    fn hooks_and_exec_probes_are_read_as_commands() {
        use k8s_openapi::api::core::v1::{ExecAction, Lifecycle, LifecycleHandler, Probe};
        let exec = |script: &str| ExecAction {
            command: Some(vec!["sh".into(), "-c".into(), script.into()]),
        };
        let hook = |script: &str| LifecycleHandler {
            exec: Some(exec(script)),
            ..LifecycleHandler::default()
        };
        let probe = |script: &str| Probe {
            exec: Some(exec(script)),
            ..Probe::default()
        };
        let mut c = container("app:1", &["app"]);
        c.lifecycle = Some(Lifecycle {
            post_start: Some(hook("echo ready > /var/run/ready")),
            pre_stop: Some(hook("app dump > /var/dump")),
            ..Lifecycle::default()
        });
        c.liveness_probe = Some(probe("touch /health && cat /health"));
        c.readiness_probe = Some(probe("cat /etc/ready"));
        c.startup_probe = Some(probe("mkdir -p /srv/started"));
        assert_eq!(
            places(&c),
            paths(&["/var/run/ready", "/var/dump", "/health", "/srv/started"])
        );
    }

    fn paths(list: &[&str]) -> Vec<Write> {
        list.iter().map(|p| Write::Path(p.to_string())).collect()
    }

    #[test]
    fn redirects_and_known_images() {
        let written = |image, command| places(&container(image, command));
        assert_eq!(
            written("app:1", &["sh", "-c", "echo 1 > /var/run/a.pid; exec app"]),
            paths(&["/var/run/a.pid"])
        );
        assert_eq!(
            written("app:1", &["sh", "-c", "app 2>>/var/log/app.log"]),
            paths(&["/var/log/app.log"])
        );
        assert_eq!(
            written("app:1", &["sh", "-c", "mkdir -p /data/x && tee -a /srv/y"]),
            paths(&["/data/x", "/srv/y"])
        );
        assert_eq!(
            written(
                "app:1",
                &["sh", "-c", "app > /dev/null 2>&1; cat /etc/app.conf"]
            ),
            vec![]
        );
        assert_eq!(
            written("nginx:1.27", &[]),
            paths(&["/var/cache/nginx", "/var/run/nginx.pid"])
        );
        assert_eq!(written("nginxinc/nginx-unprivileged:1.27", &[]), vec![]);
        // A heredoc's body is no command; its redirect is.
        assert_eq!(
            in_shell("cat <<'EOF' > /etc/app.conf\nrm -rf /\nEOF\nexec app", None),
            paths(&["/etc/app.conf"])
        );
        assert_eq!(
            in_shell("app &>/var/log/x; x >&2 2>&-", None),
            paths(&["/var/log/x"])
        );
    }

    /// Each command of the table, as the user trial wrote it (`sh -c` or an argv).
    #[test]
    fn commands_name_what_they_write() {
        let argv = |command: &[&str]| places(&container("app:1", command));
        let cases: &[(&[&str], &[&str])] = &[
            (
                &["dd", "if=/dev/zero", "of=/app/blob", "bs=1"],
                &["/app/blob"],
            ),
            (
                &["wget", "-O", "/usr/local/bin/tool", "http://x"],
                &["/usr/local/bin/tool"],
            ),
            (&["wget", "-qO-", "http://x"], &[]),
            (&["wget", "-P", "/opt/dl", "http://x"], &["/opt/dl"]),
            (&["curl", "-o", "/opt/file", "http://x"], &["/opt/file"]),
            (&["curl", "-fsSLo/opt/file", "http://x"], &["/opt/file"]),
            (&["curl", "--output=/opt/file", "http://x"], &["/opt/file"]),
            (&["curl", "-XPOST", "-sS", "http://x"], &[]),
            (&["tar", "-xzf", "/tmp/a.tgz", "-C", "/opt"], &["/opt"]),
            (&["tar", "xzf", "/tmp/a.tgz", "--directory=/srv"], &["/srv"]),
            (
                &["tar", "-czf", "/backup/a.tgz", "/tmp/data"],
                &["/backup/a.tgz"],
            ),
            (&["tar", "-tzf", "/tmp/a.tgz"], &[]),
            (&["cp", "/etc/config/x", "/app/x"], &["/app/x"]),
            (&["cp", "-t", "/app", "/tmp/a", "/tmp/b"], &["/app"]),
            (&["mv", "/tmp/y", "/opt/y"], &["/opt/y", "/tmp/y"]),
            (&["ln", "-sf", "/tmp/x", "/app/x"], &["/app/x"]),
            (
                &["install", "-m", "0755", "/tmp/tool", "/usr/local/bin/"],
                &["/usr/local/bin"],
            ),
            (&["rsync", "-a", "/tmp/src/", "/srv/dst"], &["/srv/dst"]),
            (
                &["sed", "-i", "s/a/b/", "/etc/app.conf"],
                &["/etc/app.conf"],
            ),
            (
                &["sed", "-i.bak", "-e", "s/a/b/", "/etc/a", "/etc/b"],
                &["/etc/a", "/etc/b"],
            ),
            (&["sed", "-n", "s/a/b/p", "/etc/app.conf"], &[]),
            (&["perl", "-pi", "-e", "s/a/b/", "/etc/x"], &["/etc/x"]),
            (&["perl", "-i.bak", "-pe", "s/a/b/", "/etc/y"], &["/etc/y"]),
            (&["perl", "-pe", "s/a/b/", "/etc/z"], &[]),
            (&["chmod", "+x", "/app/run.sh"], &["/app/run.sh"]),
            (&["chmod", "-R", "755", "/app"], &["/app"]),
            (&["chmod", "-x", "/app/run.sh"], &["/app/run.sh"]),
            (&["chown", "-R", "1000:1000", "/data"], &["/data"]),
            (&["unzip", "-o", "/tmp/a.zip", "-d", "/opt"], &["/opt"]),
            (
                &["git", "clone", "--depth", "1", "https://x/y.git", "/app/x"],
                &["/app/x"],
            ),
            (&["mkdir", "-m", "0700", "-p", "/tmp/a"], &["/tmp/a"]),
            (&["cat", "/etc/app.conf"], &[]),
        ];
        for (command, expected) in cases {
            assert_eq!(argv(command), paths(expected), "{command:?}");
        }
    }

    #[test]
    fn package_managers_write_the_root_filesystem() {
        let root = |what: &str| vec![Write::Root(what.to_string())];
        let unsettled = |p: &str| vec![Write::Unsettled(p.to_string())];
        assert_eq!(
            in_shell("pip install requests && python app.py", None),
            [root("pip install"), unsettled("~/.cache/pip")].concat()
        );
        assert_eq!(
            in_shell("pip3 install --no-cache-dir -r /tmp/req.txt", None),
            root("pip install")
        );
        assert_eq!(
            in_shell("python3 -m pip install --no-cache-dir x", None),
            root("pip install")
        );
        assert_eq!(
            in_shell("apt-get update && apt-get -y install curl", None),
            vec![
                Write::Root("apt-get update".into()),
                Write::Root("apt-get install".into())
            ]
        );
        assert_eq!(in_shell("apk add --no-cache curl", None), root("apk add"));
        assert_eq!(in_shell("dnf -y install curl", None), root("dnf install"));
        assert_eq!(in_shell("yum install -y curl", None), root("yum install"));
        assert_eq!(
            in_shell("npm install -g pm2", None),
            [root("npm install"), unsettled("~/.npm")].concat()
        );
        assert_eq!(in_shell("gem install bundler", None), root("gem install"));
        assert_eq!(
            in_shell("sudo -u root dpkg -i /tmp/a.deb", None),
            root("dpkg -i")
        );
        assert_eq!(
            in_shell("pip list; npm start; apt-cache show x", None),
            vec![]
        );
    }

    /// A relative destination is the working directory's: `workingDir`, then each
    /// `cd`; without one it is not placed.
    #[test]
    fn relative_writes_follow_the_working_directory() {
        let relative = |p: &str| vec![Write::Relative(p.to_string())];
        assert_eq!(in_shell("wget http://x/a.tgz", None), relative("."));
        assert_eq!(
            in_shell("wget http://x/a.tgz", Some("/tmp/")),
            paths(&["/tmp"])
        );
        assert_eq!(
            in_shell("curl -O http://x/a", Some("/app")),
            paths(&["/app"])
        );
        assert_eq!(
            in_shell("curl -sSLO --output-dir /tmp http://x/a", None),
            paths(&["/tmp"])
        );
        assert_eq!(in_shell("tar xzf /tmp/a.tgz", None), relative("."));
        assert_eq!(in_shell("echo x > out.log", None), relative("out.log"));
        assert_eq!(
            in_shell("cd /tmp && wget http://x && tar xf a.tar", None),
            paths(&["/tmp"])
        );
        assert_eq!(
            in_shell("cd /tmp; cd work; cp /etc/a b", None),
            paths(&["/tmp/work/b"])
        );
        assert_eq!(
            in_shell("(cd /tmp && wget http://x); wget http://y", None),
            [paths(&["/tmp"]), relative(".")].concat()
        );
        assert_eq!(
            in_shell("cd /tmp/../app && touch ready", None),
            paths(&["/app/ready"])
        );
        assert_eq!(
            in_shell("cd \"$HOME\" && touch ready", Some("/tmp")),
            relative("ready")
        );
        assert_eq!(in_shell("ln -s /tmp/x", Some("/app")), paths(&["/app"]));
        assert_eq!(
            in_shell("git clone https://x/y.git", Some("/srv")),
            paths(&["/srv"])
        );
    }

    #[test]
    fn variables_and_substitutions_are_not_settled() {
        let unsettled = |p: &str| vec![Write::Unsettled(p.to_string())];
        assert_eq!(
            in_shell("cp /etc/a \"$APP_HOME/a\"", None),
            unsettled("$APP_HOME/a")
        );
        assert_eq!(
            in_shell("touch ~/.ready", Some("/tmp")),
            unsettled("~/.ready")
        );
        assert_eq!(
            in_shell("echo $$ > ${PIDFILE}", None),
            unsettled("${PIDFILE}")
        );
        assert_eq!(
            in_shell("cp /etc/a $(dirname /x)/b", None),
            unsettled("$(…)/b")
        );
    }

    #[test]
    fn shells_wrappers_and_quotes_are_read_through() {
        assert_eq!(
            in_shell(
                "set -e; if [ -f /x ]; then exec gosu app cp /x /app/x; fi",
                None
            ),
            paths(&["/app/x"])
        );
        assert_eq!(
            places(&container(
                "app:1",
                &[
                    "/bin/bash",
                    "-euo",
                    "pipefail",
                    "-c",
                    "touch /app/a",
                    "name",
                    "/app/b"
                ]
            )),
            paths(&["/app/a"])
        );
        assert_eq!(
            in_shell(
                "bash -c 'sed -i s/a/b/ /etc/x.conf' && echo 'rm /app/q'",
                None
            ),
            paths(&["/etc/x.conf"])
        );
        assert_eq!(
            in_shell("FOO=1 timeout 5 touch /app/t # && touch /app/u", None),
            paths(&["/app/t"])
        );
        assert_eq!(
            in_shell("echo \"a > b\" | tee /tmp/a|tee /tmp/b", None),
            paths(&["/tmp/a", "/tmp/b"])
        );
        // Args run by the command's entrypoint script.
        let mut c = container("app:1", &["/entrypoint.sh"]);
        c.args = Some(vec!["cp".into(), "/etc/x".into(), "/opt/x".into()]);
        assert_eq!(
            places(&c),
            [
                vec![Write::Script("/entrypoint.sh".into())],
                paths(&["/opt/x"])
            ]
            .concat()
        );
    }

    /// `xargs` and `find` run commands on paths they read or find: what those commands
    /// write counts, and what xargs reads is a path no spec settles.
    #[test]
    fn xargs_and_find_run_commands_that_write() {
        let input = Write::Unsettled(XARGS_INPUT.to_string());
        let cases: &[(&str, Vec<Write>)] = &[
            ("ls /tmp/in | xargs cp -t /opt/x", paths(&["/opt/x"])),
            ("ls | xargs -r cp -t /tmp/out", paths(&["/tmp/out"])),
            (
                "ls | xargs -I{} mv {} /data",
                [paths(&["/data"]), vec![input.clone()]].concat(),
            ),
            (
                "ls | xargs -I % cp % /tmp/%.bak",
                vec![Write::Unsettled(format!("/tmp/{XARGS_INPUT}.bak"))],
            ),
            ("ls | xargs -n 1 rm -f", vec![input.clone()]),
            ("ls | xargs echo", vec![]),
            ("find / -name x -exec cp {} /opt/y \\;", paths(&["/opt/y"])),
            (
                "find /tmp -type f -exec cp -t /tmp/y {} +",
                paths(&["/tmp/y"]),
            ),
            ("find /var/x -name '*.log' -delete", paths(&["/var/x"])),
            ("find /tmp -mtime +1 -delete", paths(&["/tmp"])),
            ("find /srv -execdir touch done \\;", paths(&["/srv/done"])),
            ("find /etc -exec rm {} \\;", paths(&["/etc"])),
            ("find /data -fprint /opt/list", paths(&["/opt/list"])),
            ("find -L /var/lib/x -delete", paths(&["/var/lib/x"])),
            ("cd /tmp && find -delete", paths(&["/tmp"])),
            ("find /etc -name x -print -exec cat {} \\;", vec![]),
        ];
        for (script, expected) in cases {
            assert_eq!(&in_shell(script, None), expected, "{script}");
        }
        let argv = container(
            "app:1",
            &["find", "/opt", "-exec", "chmod", "+x", "{}", ";"],
        );
        assert_eq!(places(&argv), paths(&["/opt"]));
    }

    /// A command substitution's output is a path no spec settles, and the commands in
    /// it (`$(...)`, backquotes, quoted or not) run and write.
    #[test]
    fn command_substitutions_are_read_and_their_output_not_settled() {
        let unsettled = |p: &str| Write::Unsettled(p.to_string());
        let cases: &[(&str, Vec<Write>)] = &[
            ("cp a $(echo /opt/x)", vec![unsettled("$(…)")]),
            ("cp $(cat /tmp/list) /opt/x", paths(&["/opt/x"])),
            ("cp a `echo /opt/x`", vec![unsettled("$(…)")]),
            ("echo `touch /var/x`", paths(&["/var/x"])),
            (
                "echo \"$(touch /var/y)\" > /tmp/log",
                paths(&["/tmp/log", "/var/y"]),
            ),
            ("echo \"`mkdir /srv/z`\"", paths(&["/srv/z"])),
            ("x=$(date); echo \"$x\" > /tmp/d", paths(&["/tmp/d"])),
            ("cd /tmp && echo $(touch mark)", paths(&["/tmp/mark"])),
            ("echo $( (cd /opt; touch a) )", paths(&["/opt/a"])),
            ("echo 'cp a `b`' $((1 + 2))", vec![]),
        ];
        for (script, expected) in cases {
            assert_eq!(&in_shell(script, None), expected, "{script}");
        }
    }

    /// Wrappers run the command after them, in a script or as the argv itself.
    #[test]
    fn wrappers_run_the_command_after_them() {
        let cases: &[&[&str]] = &[
            &["env", "VAR=1", "cp", "a", "/opt/x"],
            &["env", "-u", "X", "A=1", "B=2", "cp", "a", "/opt/x"],
            &["timeout", "5", "cp", "a", "/opt/x"],
            &["timeout", "-s", "KILL", "5s", "cp", "a", "/opt/x"],
            &["nice", "-n", "10", "cp", "a", "/opt/x"],
            &["nohup", "cp", "a", "/opt/x"],
            &["exec", "cp", "a", "/opt/x"],
            &["busybox", "cp", "a", "/opt/x"],
            &["/bin/busybox", "nohup", "nice", "cp", "a", "/opt/x"],
            &["setsid", "cp", "a", "/opt/x"],
            &["chroot", "/", "cp", "a", "/opt/x"],
        ];
        for argv in cases {
            assert_eq!(
                places(&container("app:1", argv)),
                paths(&["/opt/x"]),
                "{argv:?}"
            );
            let script = argv.join(" ");
            assert_eq!(in_shell(&script, None), paths(&["/opt/x"]), "{script}");
        }
        assert_eq!(
            places(&container("app:1", &["timeout", "5", "cat", "/opt/x"])),
            vec![]
        );
    }

    /// A script the spec names but does not hold may write anywhere: it is reported
    /// as such, not taken as writing nothing.
    #[test]
    fn scripts_of_the_image_cannot_be_read() {
        let script = |p: &str| vec![Write::Script(p.to_string())];
        assert_eq!(in_shell("sh /start.sh", None), script("/start.sh"));
        assert_eq!(
            in_shell("./entrypoint.sh && exec app", None),
            script("./entrypoint.sh")
        );
        assert_eq!(
            in_shell("bash -c 'source /etc/profile.d/x'", None),
            script("/etc/profile.d/x")
        );
        assert_eq!(in_shell(". ./env; exec app", None), script("./env"));
        assert_eq!(
            places(&container("app:1", &["/bin/bash", "-e", "/run.sh"])),
            script("/run.sh")
        );
        assert_eq!(
            places(&container("app:1", &["/docker-entrypoint.bash"])),
            script("/docker-entrypoint.bash")
        );
        // A script given inline is read, and programs are not scripts.
        assert_eq!(
            in_shell("exec /usr/bin/app --config /etc/app.sh.conf", None),
            vec![]
        );
        assert_eq!(
            places(&container("app:1", &["sh", "-c", "exec app"])),
            vec![]
        );
        assert_eq!(places(&container("app:1", &["sh"])), vec![]);
    }

    /// A local install writes into its working directory (or prefix), and its cache
    /// under the home directory, placed when the container's env sets HOME; a global
    /// one writes the root filesystem unless told a prefix.
    #[test]
    fn local_installs_follow_the_working_directory() {
        let root = |what: &str| Write::Root(what.to_string());
        let unsettled = |p: &str| Write::Unsettled(p.to_string());
        let cases: &[(&str, Option<&str>, Vec<Write>)] = &[
            (
                "npm install",
                Some("/app"),
                vec![Write::Path("/app".into()), unsettled("~/.npm")],
            ),
            (
                "cd /srv/web && npm ci",
                None,
                vec![Write::Path("/srv/web".into()), unsettled("~/.npm")],
            ),
            (
                "npm ci --cache /tmp/npm",
                None,
                vec![Write::Relative(".".into()), Write::Path("/tmp/npm".into())],
            ),
            (
                "npm install --prefix /data/js x",
                None,
                vec![Write::Path("/data/js".into()), unsettled("~/.npm")],
            ),
            (
                "npm i -g --cache /tmp/c pm2",
                Some("/app"),
                vec![root("npm i"), Write::Path("/tmp/c".into())],
            ),
            (
                "npm install --location=global --cache /tmp/c x",
                None,
                vec![root("npm install"), Write::Path("/tmp/c".into())],
            ),
            (
                "npm install -g --prefix /tmp/g --cache /tmp/c x",
                None,
                paths(&["/tmp/g", "/tmp/c"]),
            ),
            (
                "yarn install --cache-folder /tmp/y",
                Some("/app"),
                paths(&["/app", "/tmp/y"]),
            ),
            (
                "yarn global add --cache-folder /tmp/y x",
                Some("/app"),
                vec![root("yarn add"), Write::Path("/tmp/y".into())],
            ),
            (
                "pnpm install --store-dir /tmp/s",
                Some("/app"),
                paths(&["/app", "/tmp/s"]),
            ),
            (
                "pip install --no-cache-dir -t /app/lib x",
                None,
                paths(&["/app/lib"]),
            ),
            (
                "pip install --no-cache-dir --user x",
                None,
                vec![unsettled("~/.local")],
            ),
            (
                "go build -o /tmp/app .",
                Some("/src"),
                vec![
                    Write::Path("/tmp/app".into()),
                    unsettled("~/.cache/go-build"),
                ],
            ),
            (
                "go build ./...",
                Some("/src"),
                vec![Write::Path("/src".into()), unsettled("~/.cache/go-build")],
            ),
            ("go install ./cmd/x", None, vec![root("go install")]),
            ("npm run build; npm start; yarn test", None, vec![]),
            (
                "yarn --frozen-lockfile --cache-folder /tmp/y",
                Some("/srv"),
                paths(&["/srv", "/tmp/y"]),
            ),
        ];
        for (script, cwd, expected) in cases {
            assert_eq!(&in_shell(script, *cwd), expected, "{script}");
        }
        // HOME set in the container's env places the cache.
        let mut c = container("node:22", &["sh", "-c", "npm ci && touch ~/.ready"]);
        c.working_dir = Some("/app".into());
        c.env = Some(vec![k8s_openapi::api::core::v1::EnvVar {
            name: "HOME".into(),
            value: Some("/tmp/home".into()),
            ..Default::default()
        }]);
        assert_eq!(
            places(&c),
            paths(&["/app", "/tmp/home/.npm", "/tmp/home/.ready"])
        );
    }

    /// Each write names the command that makes it and where the spec runs it.
    #[test]
    fn writes_name_their_command_and_where_it_runs() {
        use k8s_openapi::api::core::v1::{ExecAction, Probe};
        let mut c = container("nginx:1", &["sh", "-c", "cp a /opt/x; echo 1 > /var/run/p"]);
        c.args = Some(vec!["npm".into(), "install".into(), "-g".into()]);
        c.liveness_probe = Some(Probe {
            exec: Some(ExecAction {
                command: Some(vec!["touch".into(), "/health".into()]),
            }),
            ..Probe::default()
        });
        let origins: Vec<String> = written(&c).iter().map(Written::origin).collect();
        assert_eq!(
            origins,
            [
                "nginx, in image",
                "nginx, in image",
                "cp, in command",
                "redirect, in command",
                "npm install, in args",
                "npm install, in args",
                "touch, in liveness probe",
            ]
        );
        let bare = container("app:1", &[]);
        let mut args_only = Container {
            command: None,
            ..bare
        };
        args_only.args = Some(vec!["rm".into(), "/x".into()]);
        assert_eq!(written(&args_only)[0].origin(), "rm, in args");
        let script = container("app:1", &["./entrypoint.sh"]);
        assert_eq!(written(&script)[0].origin(), "in command");
    }
}

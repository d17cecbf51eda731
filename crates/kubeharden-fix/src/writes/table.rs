//! The table of commands whose writes `fix` knows (what each names as its destination,
//! its options that take an argument), the wrappers that run a command after them, and
//! the reading of a command of the table's words into what it writes.

use super::commands::place;
use super::{at_home, Sink, Write};

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
    /// The operand at this index (`git clone URL DIR`, `clone` at 0), else this
    /// path (the working directory for `git clone URL`).
    Nth(usize, Option<&'static str>),
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
    // Compressors replace their file with one beside it (`gunzip /opt/a.gz` writes
    // /opt/a and removes /opt/a.gz), unless they write to their output (`-c`).
    ("gzip", &[], &["-S", "--suffix"], Operands),
    ("gunzip", &[], &["-S", "--suffix"], Operands),
    // `bzip2` and `bunzip2`, whose digit is no version: `program` drops it.
    ("bzip", &[], &[], Operands),
    ("bunzip", &[], &[], Operands),
    ("xz", &[], &["-S", "--suffix", "-T", "--threads"], Operands),
    ("unxz", &[], &["-S", "--suffix", "-T", "--threads"], Operands),
    ("zstd", &[], &["-o"], Operands),
    ("unzstd", &[], &["-o"], Operands),
    ("uncompress", &[], &[], Operands),
    ("openssl", &[], &["-out", "-keyout", "-in", "-config", "-key", "-subj", "-days"], Arg(&["-out", "-keyout"], None)),
    ("sort", &[], SORT, Arg(&["-o", "--output", "-T", "--temporary-directory"], None)),
    // Accounts: /etc/passwd, /etc/group, /etc/shadow.
    ("useradd", &[], ACCOUNT, Arg(&[], Some("/etc"))),
    ("adduser", &[], ACCOUNT, Arg(&[], Some("/etc"))),
    ("usermod", &[], ACCOUNT, Arg(&[], Some("/etc"))),
    ("userdel", &[], ACCOUNT, Arg(&[], Some("/etc"))),
    ("deluser", &[], ACCOUNT, Arg(&[], Some("/etc"))),
    ("groupadd", &[], ACCOUNT, Arg(&[], Some("/etc"))),
    ("addgroup", &[], ACCOUNT, Arg(&[], Some("/etc"))),
    ("groupmod", &[], ACCOUNT, Arg(&[], Some("/etc"))),
    ("groupdel", &[], ACCOUNT, Arg(&[], Some("/etc"))),
    ("delgroup", &[], ACCOUNT, Arg(&[], Some("/etc"))),
    ("passwd", &[], ACCOUNT, Arg(&[], Some("/etc"))),
    ("chpasswd", &[], ACCOUNT, Arg(&[], Some("/etc"))),
    ("gpasswd", &[], ACCOUNT, Arg(&[], Some("/etc"))),
    ("chsh", &[], ACCOUNT, Arg(&[], Some("/etc"))),
    ("newusers", &[], ACCOUNT, Arg(&[], Some("/etc"))),
    ("cpio", &["-i", "--extract"], CPIO, Arg(&["-D", "--directory"], Some("."))),
    ("cpio", &["-o", "--create"], CPIO, Arg(&["-O", "-F", "--file"], None)),
    ("cpio", &["-p", "--pass-through"], CPIO, Nth(0, None)),
    // `python -m venv DIR`.
    ("venv", &[], &["--prompt"], Nth(0, None)),
    ("virtualenv", &[], &["-p", "--python", "--prompt", "--app-data"], Nth(0, None)),
    ("virtualenv", &[], &["-p", "--python", "--prompt", "--app-data"], Arg(&["--app-data"], Some("~/.local/share/virtualenv"))),
    // The key and `KEY.pub`; `-A`: the host keys.
    ("ssh-keygen", &[], SSH_KEYGEN, Arg(&["-f"], Some("~/.ssh"))),
    ("ssh-keygen", &["-A"], SSH_KEYGEN, Arg(&[], Some("/etc/ssh"))),
    ("htpasswd", &[], &["-C", "-r"], Nth(0, None)),
    // `split FILE PREFIX`: its pieces, `xaa`... in the working directory by default.
    ("split", &[], SPLIT, Nth(1, Some("."))),
    // The files its patch names, under `-d DIR` or the working directory; the file
    // it is given; `-o FILE`.
    ("patch", &[], PATCH, Arg(&["-d", "--directory"], Some("."))),
    ("patch", &[], PATCH, Arg(&["-o", "--output"], None)),
    ("patch", &[], PATCH, Nth(0, None)),
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
    ("git", &["clone"], GIT, Nth(2, Some("."))),
    ("git", &["clone"], GIT, Arg(&["-C"], None)),
    ("git", &["init"], GIT, Nth(1, Some("."))),
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

/// The options that make a command of the table write only its output or nothing
/// (`gzip -c`, `ssh-keygen -l`, `htpasswd -n`): none of its rows applies.
#[rustfmt::skip]
const ONLY_OUTPUT: &[(&str, &[&str])] = &[
    ("gzip", COMPRESS_OUTPUT),
    ("gunzip", COMPRESS_OUTPUT),
    ("bzip", COMPRESS_OUTPUT),
    ("bunzip", COMPRESS_OUTPUT),
    ("xz", COMPRESS_OUTPUT),
    ("unxz", COMPRESS_OUTPUT),
    ("zstd", &["-c", "--stdout", "-t", "--test", "-l", "--list", "-o"]),
    ("unzstd", &["-c", "--stdout", "-t", "--test", "-l", "--list", "-o"]),
    ("uncompress", COMPRESS_OUTPUT),
    ("ssh-keygen", &["-l", "-y", "-F", "-B", "-L", "-Q"]),
    ("htpasswd", &["-n", "-v"]),
    ("passwd", &["-S", "--status"]),
];
const COMPRESS_OUTPUT: &[&str] = &[
    "-c",
    "--stdout",
    "--to-stdout",
    "-t",
    "--test",
    "-l",
    "--list",
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
#[rustfmt::skip]
const SORT: &[&str] = &[
    "-o", "--output", "-T", "--temporary-directory", "-k", "--key", "-t", "--field-separator",
    "-S", "--buffer-size",
];
#[rustfmt::skip]
const ACCOUNT: &[&str] = &[
    "-u", "--uid", "-g", "--gid", "-G", "--groups", "-d", "--home", "--home-dir", "-s",
    "--shell", "-c", "--comment", "-k", "--skel", "-e", "-f", "-p", "--password", "-K",
    "-h", "-R", "--root", "-l", "--login", "-n", "--new-name",
];
const CPIO: &[&str] = &[
    "-D",
    "--directory",
    "-O",
    "-F",
    "--file",
    "-H",
    "--format",
    "-E",
    "-I",
    "-R",
];
#[rustfmt::skip]
const SSH_KEYGEN: &[&str] = &[
    "-f", "-t", "-b", "-C", "-N", "-P", "-a", "-Z", "-O", "-n", "-s", "-I", "-V", "-z", "-m",
    "-E", "-D", "-w", "-Y",
];
const SPLIT: &[&str] = &[
    "-l",
    "-b",
    "-C",
    "-n",
    "-a",
    "-t",
    "--additional-suffix",
    "--filter",
];
#[rustfmt::skip]
const PATCH: &[&str] = &[
    "-d", "--directory", "-o", "--output", "-i", "--input", "-p", "--strip", "-F", "--fuzz",
    "-B", "--prefix", "-V", "-D", "--ifdef", "-r", "--reject-file", "-z", "--suffix",
];
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
pub(super) const WRAPPERS: &[(&str, &[&str], usize)] = &[
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

pub(super) const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh"];

/// What a command of the table writes (`cp a /opt/b`, `curl -o F`, `pip install`).
pub(super) fn table_writes(name: &str, args: &[String], cwd: &Option<String>, out: &mut Sink) {
    if let Some((_, only)) = ONLY_OUTPUT.iter().find(|o| o.0 == name) {
        let takes: Vec<&str> = WRITERS
            .iter()
            .filter(|w| w.0 == name)
            .flat_map(|w| w.2.iter().copied())
            .collect();
        let args = Args::parse(args, &takes);
        if only.iter().any(|o| args.has(o)) {
            return;
        }
    }
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
            // A default under the home directory (`~/.npm`) is the one it runs with.
            let default =
                !args.operands.contains(&path) && args.options.iter().all(|o| o.1 != Some(path));
            if let Some(write) = place(path, cwd.as_deref()) {
                let write = if default {
                    at_home(write, out.home.as_deref())
                } else {
                    write
                };
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
        Nth(n, otherwise) => args
            .operands
            .get(n)
            .copied()
            .or(otherwise)
            .into_iter()
            .collect(),
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
pub(super) fn shell_forms(name: &str, words: &[String]) -> Vec<String> {
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

/// A command's words after its name: its options, each with its argument if it takes
/// one, and its operands. Options may come after operands (GNU style) until `--`.
pub(super) struct Args<'a> {
    options: Vec<(String, Option<&'a str>)>,
    pub(super) operands: Vec<&'a str>,
}

impl<'a> Args<'a> {
    /// Reads `words` given the options that take an argument (`-o FILE`, `-oFILE`,
    /// `--output FILE`, `--output=FILE`; `-sSLo FILE` as `-s -S -L -o FILE`).
    pub(super) fn parse(words: &'a [String], takes: &[&str]) -> Self {
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

    pub(super) fn has(&self, name: &str) -> bool {
        self.options.iter().any(|(o, _)| o == name)
    }

    /// The arguments given to any of the options `names`.
    pub(super) fn values(&self, names: &[&str]) -> Vec<&'a str> {
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

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

use commands::{command_writes, normalize, place};

mod commands;
mod shell;
mod table;
#[cfg(test)]
mod tests;

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

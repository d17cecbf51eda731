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
    /// Whatever a command the spec does not fix writes: a variable or a command's
    /// output as the command (`$CMD /etc/x`, `$(cat /cfg/cmd)`), a shell reading its
    /// standard input (`sh -s`, `curl URL | sh`).
    Unknown(String),
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
    /// The home directory of the command being read, when the spec sets it to a
    /// literal path (the container's `env`, a shell's `HOME=`/`export HOME=`).
    home: Option<String>,
    /// Where `mktemp` writes by default: `TMPDIR` as the spec sets it (`$TMPDIR` when
    /// it does not settle it), else /tmp.
    tmpdir: String,
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

/// Where an image is known to write besides /tmp, by the image's repository
/// (`repository`): nginx's official image its cache and its pid file; Bitnami's its
/// configuration (which its entrypoint writes), logs, temporary files and
/// certificates, where Bitnami's own chart mounts emptyDirs.
#[rustfmt::skip]
const KNOWN_WRITES: [(&str, &[&str]); 26] = [
    ("nginx", &["/var/cache/nginx", "/var/run/nginx.pid"]),
    ("nginxinc/nginx-unprivileged", &["/tmp"]),
    ("bitnami/nginx", BITNAMI_NGINX),
    // Bitnami's older images, moved.
    ("bitnamilegacy/nginx", BITNAMI_NGINX),
    // Databases and stores write their data, sockets and pid files (the official
    // images' Dockerfiles and entrypoints), whatever volume the spec gives them.
    ("postgres", &["/var/lib/postgresql/data", "/var/run/postgresql"]),
    ("mysql", &["/var/lib/mysql", "/var/run/mysqld", "/tmp"]),
    ("mariadb", &["/var/lib/mysql", "/run/mysqld", "/tmp"]),
    ("redis", &["/data"]),
    ("valkey/valkey", &["/data"]),
    ("mongo", &["/data/db", "/data/configdb", "/tmp"]),
    ("rabbitmq", &["/var/lib/rabbitmq"]),
    ("httpd", &["/usr/local/apache2/logs"]),
    ("grafana/grafana", &["/var/lib/grafana", "/var/log/grafana"]),
    ("postgis/postgis", &["/var/lib/postgresql/data", "/var/run/postgresql"]),
    ("timescale/timescaledb", &["/var/lib/postgresql/data", "/var/run/postgresql"]),
    ("tomcat", &["/usr/local/tomcat/logs", "/usr/local/tomcat/work", "/usr/local/tomcat/temp"]),
    ("wordpress", &["/var/www/html", "/var/run/apache2", "/var/lock/apache2"]),
    ("mcr.microsoft.com/mssql/server", &["/var/opt/mssql"]),
    ("jenkins/jenkins", &["/var/jenkins_home"]),
    ("sonarqube", &["/opt/sonarqube/data", "/opt/sonarqube/logs", "/opt/sonarqube/temp"]),
    ("docker.elastic.co/elasticsearch/elasticsearch", ELASTICSEARCH),
    ("elasticsearch", ELASTICSEARCH),
    ("bitnami/postgresql", &["/bitnami/postgresql", "/opt/bitnami/postgresql/conf", "/opt/bitnami/postgresql/tmp", "/opt/bitnami/postgresql/logs", "/tmp"]),
    ("bitnami/redis", &["/bitnami/redis/data", "/opt/bitnami/redis/etc", "/opt/bitnami/redis/tmp", "/opt/bitnami/redis/logs"]),
    ("bitnami/mysql", &["/bitnami/mysql/data", "/opt/bitnami/mysql/conf", "/opt/bitnami/mysql/tmp", "/opt/bitnami/mysql/logs", "/tmp"]),
    ("bitnami/mongodb", &["/bitnami/mongodb", "/opt/bitnami/mongodb/conf", "/opt/bitnami/mongodb/tmp", "/opt/bitnami/mongodb/logs", "/tmp"]),
];
const ELASTICSEARCH: &[&str] = &[
    "/usr/share/elasticsearch/data",
    "/usr/share/elasticsearch/logs",
    "/usr/share/elasticsearch/config",
];
const BITNAMI_NGINX: &[&str] = &[
    "/opt/bitnami/nginx/conf",
    "/opt/bitnami/nginx/logs",
    "/opt/bitnami/nginx/tmp",
    "/certs",
];

/// What the container's spec shows it writes: its image's known paths, then what
/// its command and args write, each once.
pub fn written(c: &Container) -> Vec<Written> {
    let mut sink = Sink {
        found: Vec::new(),
        within: "image",
        home: env_value(c, "HOME").map(str::to_string),
        tmpdir: match c.env.iter().flatten().rfind(|v| v.name == "TMPDIR") {
            None => "/tmp".to_string(),
            Some(_) => env_value(c, "TMPDIR").map_or("$TMPDIR".to_string(), normalize),
        },
    };
    let name = repository(c.image.as_deref().unwrap_or_default());
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
    // An arg that reads as a script (`pip install x && run`) may be run as one: an
    // image's entrypoint is often a shell, or a script that evals what it is given.
    // Read as `sh -c` would, on the safe side of a fix that makes the filesystem
    // read-only.
    let args_are_its_script = c
        .command
        .as_ref()
        .is_some_and(|command| command.last().is_some_and(|last| last == "-c"));
    let scripts = c.args.iter().flatten().filter(|_| !args_are_its_script);
    // A flag with a spaced value (`--message=hello world`) is no script.
    for script in scripts.filter(|a| a.trim().contains(' ') && !a.starts_with('-')) {
        sink.within = "args";
        let as_shell = ["sh".to_string(), "-c".to_string(), script.clone()];
        command_writes(&as_shell, &mut cwd.clone(), &mut sink);
    }
    // Hooks and exec probes run in the container too: a postStart hook or a liveness
    // probe that cannot write fails, and the kubelet restarts the container.
    for (within, exec) in hook_and_probe_commands(c) {
        sink.within = within;
        command_writes(exec, &mut cwd.clone(), &mut sink);
    }
    let mut found = sink.found;
    let mut seen = std::collections::BTreeSet::new();
    found.retain(|w| seen.insert(w.clone()));
    found
}

/// The literal value the container's `env` gives a variable (not one from a
/// reference, nor one that names another variable); of two entries of one name,
/// Kubernetes uses the last.
fn env_value<'a>(c: &'a Container, name: &str) -> Option<&'a str> {
    let var = c.env.iter().flatten().rfind(|v| v.name == name)?;
    var.value_from.is_none().then_some(())?;
    var.value
        .as_deref()
        .filter(|v| v.starts_with('/') && !v.contains('$'))
}

/// A write under the home directory placed, when the spec sets `HOME` to a literal
/// path: package managers keep their caches there (`~/.npm`).
pub(super) fn at_home(w: Write, home: Option<&str>) -> Write {
    let (Write::Unsettled(path), Some(home)) = (&w, home) else {
        return w;
    };
    match under_home(path).and_then(|rest| place(&format!("{home}/{rest}"), None)) {
        Some(write) => write,
        None => w,
    }
}

/// What follows the home directory in a path under it (`~/x`, `$HOME/x`: `x`).
pub(super) fn under_home(path: &str) -> Option<&str> {
    if ["~", "$HOME", "${HOME}"].contains(&path) {
        return Some("");
    }
    ["~/", "$HOME/", "${HOME}/"]
        .iter()
        .find_map(|prefix| path.strip_prefix(prefix))
}

/// An image's repository, as Docker Hub names it: without its tag or digest, and
/// without Docker Hub's registry and `library/` (`docker.io/library/nginx:1.27` is
/// `nginx`, `bitnami/nginx` stays `bitnami/nginx`).
fn repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or_default();
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    let image = match image[last_slash..].find(':') {
        Some(colon) => &image[..last_slash + colon],
        None => image,
    };
    let image = ["docker.io/", "index.docker.io/", "registry-1.docker.io/"]
        .iter()
        .find_map(|r| image.strip_prefix(r))
        .unwrap_or(image);
    // A mirror of the official images keeps their name after `library/`
    // (`public.ecr.aws/docker/library/postgres`, `mirror.gcr.io/library/redis`,
    // `registry.example.com/library/postgres`); ECR Public's own copies of a few
    // are `public.ecr.aws/NAME/NAME`.
    if let Some((_, official)) = image.rsplit_once("/library/") {
        return official;
    }
    if let Some(rest) = image.strip_prefix("public.ecr.aws/") {
        if let Some((owner, name)) = rest.split_once('/') {
            if owner == name {
                return name;
            }
        }
    }
    image.strip_prefix("library/").unwrap_or(image)
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

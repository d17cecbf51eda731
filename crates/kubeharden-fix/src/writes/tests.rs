//! What containers write, read through `written`: the shell, the commands and the
//! table together.

use super::commands::XARGS_INPUT;
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
    assert_eq!(
        written("nginxinc/nginx-unprivileged:1.27", &[]),
        paths(&["/tmp"])
    );
    assert_eq!(written("example/nginx-custom:1", &[]), vec![]);
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
        [
            root("pip install"),
            unsettled("~/.cache/pip"),
            vec![Write::Script("app.py".into())],
        ]
        .concat()
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
    // A shell with no script reads its commands from its input.
    assert_eq!(
        places(&container("app:1", &["sh"])),
        vec![Write::Unknown("a shell reading its standard input".into())]
    );
}

/// A command the spec does not fix (a variable, a substitution's output, a shell's
/// input) cannot be told; `eval`'s words are read as a script.
#[test]
fn commands_the_spec_does_not_fix_cannot_be_told() {
    let unknown = |w: &str| vec![Write::Unknown(w.to_string())];
    let stdin = unknown("a shell reading its standard input");
    let cases: &[(&str, Vec<Write>)] = &[
        ("CMD=touch; $CMD /etc/x", unknown("$CMD")),
        ("${RUN} /etc/x", unknown("${RUN}")),
        ("$(cat /cfg/cmd) /etc/x", unknown("$(…)")),
        ("`cat /cfg/cmd`", unknown("$(…)")),
        ("sh -s < /cfg/script", stdin.clone()),
        ("curl -fsSL http://x/install | bash", stdin.clone()),
        ("bash -s -- arg", stdin.clone()),
        ("cat /cfg/x | su app", stdin.clone()),
        ("eval 'touch /etc/x'", paths(&["/etc/x"])),
        (
            "eval \"cp a /opt/$(echo b)\"",
            vec![Write::Unsettled("/opt/$(…)".into())],
        ),
        ("eval \"$(cat /cfg/cmd)\"", unknown("$(…)")),
        ("eval echo hi", vec![]),
        // A variable directory still names the program.
        ("exec \"$JAVA_HOME/bin/java\" -jar /app.jar", vec![]),
        ("$BIN/touch /etc/t", paths(&["/etc/t"])),
        ("$BIN/$TOOL /etc/t", unknown("$BIN/$TOOL")),
        // The shell's parameters are read where the spec gives them.
        ("exec \"$@\"", vec![]),
    ];
    for (script, expected) in cases {
        assert_eq!(&in_shell(script, None), expected, "{script}");
    }
    let argv = container(
        "app:1",
        &["sh", "-c", "exec \"$@\"", "sh", "touch", "/etc/y"],
    );
    assert_eq!(places(&argv), paths(&["/etc/y"]));
    let argv = container("app:1", &["sh", "-c", "exec \"$@\"", "sh", "cat", "/etc/y"]);
    assert_eq!(places(&argv), vec![]);
    let argv = container("app:1", &["sh", "-c", "echo $2", "sh", "rm", "/etc/y"]);
    assert_eq!(places(&argv), vec![]);
}

/// Commands that run a command of their words, read as `sh -c` is.
#[test]
fn nested_commands_are_read() {
    let input = Write::Unsettled(XARGS_INPUT.to_string());
    let cases: &[(&str, Vec<Write>)] = &[
        ("su -c 'touch /etc/a' app", paths(&["/etc/a"])),
        ("su app -c 'touch /etc/b'", paths(&["/etc/b"])),
        ("su - app -s /bin/sh -c 'cp x /opt/c'", paths(&["/opt/c"])),
        ("runuser -c 'touch /etc/d' app", paths(&["/etc/d"])),
        ("runuser -u app -- cp -r /tmp/x /opt/e", paths(&["/opt/e"])),
        ("su app -c 'cat /etc/x'", vec![]),
        (
            "trap 'rm -f /var/run/app.pid' EXIT; exec app",
            paths(&["/var/run/app.pid"]),
        ),
        ("trap - EXIT; trap '' INT", vec![]),
        ("watch -n 5 'date > /var/x'", paths(&["/var/x"])),
        ("watch -n5 touch /etc/w", paths(&["/etc/w"])),
        ("watch -x touch /etc/wx", paths(&["/etc/wx"])),
        ("watch -n 5 cat /etc/x", vec![]),
        (
            "flock /var/lock/app touch /opt/f",
            paths(&["/var/lock/app", "/opt/f"]),
        ),
        (
            "flock -w 5 /tmp/l -c 'cp a /opt/g'",
            paths(&["/tmp/l", "/opt/g"]),
        ),
        ("flock 9", vec![]),
        ("parallel gzip ::: /tmp/a /tmp/b", vec![input.clone()]),
        ("parallel -j 4 'cp {} /opt/p' ::: a b", paths(&["/opt/p"])),
        (
            "ls | parallel",
            vec![Write::Unknown("the commands parallel reads".into())],
        ),
        ("parallel echo ::: a", vec![]),
        ("script -q -c 'touch /etc/s' /dev/null", paths(&["/etc/s"])),
        (
            "script -c app /var/log/session",
            paths(&["/var/log/session"]),
        ),
        ("script -q -c 'cat /etc/x' /dev/null", vec![]),
    ];
    for (script, expected) in cases {
        assert_eq!(&in_shell(script, None), expected, "{script}");
    }
    assert_eq!(
        in_shell("script -c app", Some("/srv")),
        paths(&["/srv/typescript"])
    );
}

/// More commands of the table: compressors, `openssl -out`, `sort -o`, accounts,
/// `mktemp`, `cpio`, virtual environments, keys, `split`, `patch`.
#[test]
fn more_commands_name_what_they_write() {
    let cases: &[(&str, Option<&str>, Vec<Write>)] = &[
        ("gunzip /opt/a.gz", None, paths(&["/opt/a.gz"])),
        ("gzip -d /srv/b.gz", None, paths(&["/srv/b.gz"])),
        ("bunzip2 -k /opt/c.bz2", None, paths(&["/opt/c.bz2"])),
        ("xz -d /opt/d.xz", None, paths(&["/opt/d.xz"])),
        ("unxz /opt/e.xz", None, paths(&["/opt/e.xz"])),
        ("gunzip -c /opt/a.gz > /tmp/a", None, paths(&["/tmp/a"])),
        ("gzip -t /opt/a.gz; zcat /opt/a.gz", None, vec![]),
        (
            "openssl req -x509 -newkey rsa:2048 -keyout /etc/tls/k.pem -out /etc/tls/c.pem -days 1",
            None,
            paths(&["/etc/tls/k.pem", "/etc/tls/c.pem"]),
        ),
        ("openssl x509 -in /etc/tls/c.pem -noout -text", None, vec![]),
        ("sort -o /opt/sorted /tmp/in", None, paths(&["/opt/sorted"])),
        ("sort -u /tmp/in", None, vec![]),
        ("useradd -m app", None, paths(&["/etc"])),
        ("adduser -D -u 1000 app", None, paths(&["/etc"])),
        (
            "groupadd -g 1000 app && usermod -aG app app",
            None,
            paths(&["/etc"]),
        ),
        ("echo app:x | chpasswd", None, paths(&["/etc"])),
        ("passwd -S app", None, vec![]),
        ("mktemp", None, paths(&["/tmp"])),
        ("mktemp -d -p /var/work", None, paths(&["/var/work"])),
        ("mktemp --tmpdir=/opt/t x.XXXX", None, paths(&["/opt/t"])),
        ("mktemp -t x.XXXX", None, paths(&["/tmp"])),
        ("mktemp app.XXXX", Some("/srv"), paths(&["/srv/app.XXXX"])),
        ("mktemp -u", None, vec![]),
        (
            "cpio -idm -D /opt/root < /tmp/a.cpio",
            None,
            paths(&["/opt/root"]),
        ),
        ("cpio -id < /tmp/a.cpio", Some("/srv"), paths(&["/srv"])),
        ("cpio -t < /tmp/a.cpio", None, vec![]),
        ("python3 -m venv /opt/venv", None, paths(&["/opt/venv"])),
        (
            "virtualenv --app-data /tmp/v /opt/venv2",
            None,
            paths(&["/opt/venv2", "/tmp/v"]),
        ),
        (
            "ssh-keygen -t ed25519 -N '' -f /etc/ssh/key",
            None,
            paths(&["/etc/ssh/key"]),
        ),
        ("ssh-keygen -l -f /etc/ssh/key.pub", None, vec![]),
        (
            "htpasswd -cb /etc/nginx/.htpasswd u p",
            None,
            paths(&["/etc/nginx/.htpasswd"]),
        ),
        ("htpasswd -nb u p", None, vec![]),
        (
            "truncate -s 0 /var/log/app.log",
            None,
            paths(&["/var/log/app.log"]),
        ),
        (
            "split -l 10 /tmp/in /opt/part.",
            None,
            paths(&["/opt/part."]),
        ),
        ("split -l 10 /tmp/in", Some("/srv"), paths(&["/srv"])),
        (
            "patch -p1 -d /opt/src < /tmp/fix.patch",
            None,
            paths(&["/opt/src"]),
        ),
        (
            "patch /etc/app.conf /tmp/p",
            Some("/tmp"),
            paths(&["/tmp", "/etc/app.conf"]),
        ),
        ("ln -s /tmp/x /etc/x", None, paths(&["/etc/x"])),
    ];
    for (script, cwd, expected) in cases {
        assert_eq!(&in_shell(script, *cwd), expected, "{script}");
    }
    // A compressor that replaces its file: its reason names it.
    let origins: Vec<String> = written(&container("app:1", &["gunzip", "/opt/a.gz"]))
        .iter()
        .map(Written::origin)
        .collect();
    assert_eq!(origins, ["gunzip, in command"]);
}

/// `HOME` as the shell sets it places `~`; of two `env` entries, the last counts.
#[test]
fn shell_assignments_of_home_count() {
    use k8s_openapi::api::core::v1::EnvVar;
    let unsettled = |p: &str| Write::Unsettled(p.to_string());
    let cases: &[(&str, Vec<Write>)] = &[
        ("export HOME=/etc; touch ~/x", paths(&["/etc/x"])),
        ("HOME=/etc; touch \"$HOME/y\"", paths(&["/etc/y"])),
        (
            "export HOME=/tmp/h && cd ~ && touch z",
            paths(&["/tmp/h/z"]),
        ),
        // `cmd`'s own HOME is where its caches go; its words are the shell's.
        (
            "HOME=/etc npm install --prefix /tmp/p",
            paths(&["/tmp/p", "/etc/.npm"]),
        ),
        ("HOME=/tmp/h touch ~/w", vec![unsettled("~/w")]),
        ("export HOME=/etc; echo 1 > ~/r", paths(&["/etc/r"])),
        ("echo 1 > ~/r", vec![unsettled("~/r")]),
        (
            "env HOME=/etc npm i --prefix /tmp/p",
            paths(&["/tmp/p", "/etc/.npm"]),
        ),
        // A subshell's assignment ends with it.
        ("(export HOME=/tmp/h); touch ~/v", vec![unsettled("~/v")]),
        (
            "export HOME=$(mktemp -d); touch ~/u",
            [paths(&["/tmp"]), vec![unsettled("~/u")]].concat(),
        ),
    ];
    for (script, expected) in cases {
        assert_eq!(&in_shell(script, None), expected, "{script}");
    }
    let home = |v: &str| EnvVar {
        name: "HOME".into(),
        value: Some(v.into()),
        ..Default::default()
    };
    let mut c = container("app:1", &["sh", "-c", "touch ~/.ready"]);
    c.env = Some(vec![home("/tmp/home"), home("/etc")]);
    assert_eq!(places(&c), paths(&["/etc/.ready"]));
    c.env = Some(vec![home("/etc"), home("/tmp/home")]);
    assert_eq!(places(&c), paths(&["/tmp/home/.ready"]));
    // A redirect's `~` too.
    let mut c = container("app:1", &["sh", "-c", "app > ~/log"]);
    c.env = Some(vec![home("/tmp/home")]);
    assert_eq!(places(&c), paths(&["/tmp/home/log"]));
    // The shell's assignment outlasts the env's.
    let mut c = container("app:1", &["sh", "-c", "HOME=/etc; touch ~/.ready"]);
    c.env = Some(vec![home("/tmp/home")]);
    assert_eq!(places(&c), paths(&["/etc/.ready"]));
}

/// `mktemp` without a directory writes `$TMPDIR` as the spec sets it, else /tmp.
#[test]
fn mktemp_follows_tmpdir() {
    use k8s_openapi::api::core::v1::EnvVar;
    let unsettled = |p: &str| vec![Write::Unsettled(p.to_string())];
    assert_eq!(
        in_shell("TMPDIR=/var/t mktemp -d", None),
        paths(&["/var/t"])
    );
    assert_eq!(
        in_shell("export TMPDIR=/opt/t; mktemp", None),
        paths(&["/opt/t"])
    );
    assert_eq!(
        in_shell("TMPDIR=/var/t true; mktemp", None),
        paths(&["/tmp"])
    );
    assert_eq!(in_shell("TMPDIR=$(pwd) mktemp", None), unsettled("$TMPDIR"));
    let tmpdir = |v: Option<&str>| EnvVar {
        name: "TMPDIR".into(),
        value: v.map(str::to_string),
        ..Default::default()
    };
    let mut c = container("app:1", &["mktemp", "-d"]);
    c.env = Some(vec![tmpdir(Some("/tmp")), tmpdir(Some("/data/tmp"))]);
    assert_eq!(places(&c), paths(&["/data/tmp"]));
    c.env = Some(vec![tmpdir(None)]);
    assert_eq!(places(&c), unsettled("$TMPDIR"));
}

/// Known writes go by the image's repository exactly, not a name's substring.
#[test]
fn known_images_match_by_repository() {
    let nginx = paths(&["/var/cache/nginx", "/var/run/nginx.pid"]);
    for image in [
        "nginx",
        "nginx:1.27",
        "library/nginx:1.27",
        "docker.io/library/nginx:1.27-alpine",
        "docker.io/nginx@sha256:abc",
        // Mirrors of the official images.
        "public.ecr.aws/docker/library/nginx:1.27",
        "mirror.gcr.io/library/nginx:1.27",
        "registry.example.com/library/nginx:1",
        "public.ecr.aws/nginx/nginx:1.27",
    ] {
        assert_eq!(places(&container(image, &[])), nginx, "{image}");
    }
    let bitnami = paths(&[
        "/opt/bitnami/nginx/conf",
        "/opt/bitnami/nginx/logs",
        "/opt/bitnami/nginx/tmp",
        "/certs",
    ]);
    for image in [
        "bitnami/nginx:1.27",
        "docker.io/bitnami/nginx@sha256:abc",
        "bitnamilegacy/nginx:1.27",
    ] {
        assert_eq!(places(&container(image, &[])), bitnami, "{image}");
    }
    for image in [
        "bitnami/nginx-ingress-controller:1",
        "quay.io/nginx/nginx-unprivileged:1",
        "registry.example.com:5000/nginx:1",
        "nginx-ingress:1",
    ] {
        assert_eq!(places(&container(image, &[])), vec![], "{image}");
    }
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

/// Args with no command of the spec's own run through the image's entrypoint, often
/// a shell: an arg that reads as a script is read as one (so `pip install` in it
/// counts), and one that is a plain word, or a flag with a spaced value, writes
/// nothing.
#[test]
fn an_arg_that_reads_as_a_script_is_read_as_one() {
    let args_only = |args: &[&str]| {
        let c = Container {
            image: Some("app:1".into()),
            args: Some(args.iter().map(|s| s.to_string()).collect()),
            ..Container::default()
        };
        let mut origins: Vec<String> = written(&c).iter().map(Written::origin).collect();
        origins.dedup(); // one per path it writes
        origins
    };
    assert_eq!(
        args_only(&["pip install foo && run"]),
        ["pip install, in args"]
    );
    assert_eq!(
        args_only(&["-c", "echo up > /var/run/up"]),
        ["redirect, in args"]
    );
    assert!(args_only(&["serve", "--port", "8080"]).is_empty());
    assert_eq!(args_only(&["--message=hello world"]), Vec::<String>::new());
    // With a command of its own that is a shell, the script is read once.
    let mut c = container("app:1", &["sh", "-c"]);
    c.args = Some(vec!["pip install foo".into()]);
    let mut origins: Vec<String> = written(&c).iter().map(Written::origin).collect();
    origins.dedup();
    assert_eq!(origins, ["pip install, in command"]);
}

/// An interpreter's program (`python manage.py`, `node server.js`, `python -m app`)
/// may write anywhere, as a shell script of the image may; inline code is the spec's.
/// A flag that names a file to write (`--log-file`, `--pid-file`, `--data-dir`) is a
/// write of that path; one that names a file to read is not.
#[test]
fn interpreters_and_write_flags() {
    let script = |p: &str| vec![Write::Script(p.to_string())];
    assert_eq!(
        in_shell("python manage.py collectstatic", None),
        script("manage.py")
    );
    assert_eq!(
        in_shell("python3.12 -u /app/run.py", None),
        script("/app/run.py")
    );
    assert_eq!(in_shell("exec node server.js", None), script("server.js"));
    assert_eq!(
        in_shell("python -m app.main", None),
        script("python -m app.main")
    );
    assert_eq!(in_shell("python -c 'print(1)'", None), vec![]);
    assert_eq!(
        places(&container(
            "app:1",
            &["/app/server", "--log-file=/var/log/app.log"]
        )),
        paths(&["/var/log/app.log"])
    );
    assert_eq!(
        places(&container(
            "app:1",
            &[
                "/app/server",
                "--pid-file",
                "/run/app.pid",
                "--data-dir=/srv/data"
            ]
        )),
        paths(&["/run/app.pid", "/srv/data"])
    );
    assert_eq!(
        places(&container(
            "app:1",
            &["/app/server", "--config=/etc/app.yaml", "--port", "8080"]
        )),
        vec![]
    );
}

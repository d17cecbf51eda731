//! Arguments of every command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use kubeharden_report::{Format, UnknownFormat};

use crate::suggest::did_you_mean;
use kubeharden_rules::{Framework, PssLevel, Severity, UnknownFramework, UnknownSeverity};

#[derive(Parser)]
#[command(
    name = "kubeharden",
    version,
    about = "Kubernetes hardening checks from the NSA/CISA guidance and the Pod Security Standards"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Scan manifests (YAML or JSON files, folders, `-` for stdin).
    Scan(ScanArgs),
    /// Scan a live cluster through its API server (read-only: get and list).
    Cluster(ClusterScanArgs),
    /// List the rules.
    Rules(RulesArgs),
    /// Show one rule's documentation: what it checks, why, an example and the fix.
    Explain(ExplainArgs),
    /// Harden workloads: write Kustomize patches (default) or edit the YAML in place,
    /// then prove the fixed rules clean by scanning again.
    Fix(FixArgs),
    /// NetworkPolicy queries: who can reach whom, by Kubernetes' own semantics.
    #[command(subcommand)]
    Netpol(NetpolCommand),
    /// RBAC queries: who can do what, by the RBAC authorizer's own semantics.
    #[command(subcommand)]
    Rbac(RbacCommand),
    /// Audit a node's control-plane and kubelet configuration and its files.
    Node(NodeArgs),
    /// Detect attacks in Kubernetes audit logs (JSON lines, EventList, .gz; `-` for stdin).
    // Its --format lists only what it writes: PolicyReports are of objects, not events.
    #[command(mut_arg("explicit_format", |a| a.value_parser(Choices::new(parse_audit_format, AUDIT_FORMAT_NAMES))))]
    AuditLog(AuditLogArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the man page, or write one for every command into a folder.
    Man(ManArgs),
    /// Serve a validating admission webhook that judges objects as `scan` does.
    Serve(ServeArgs),
    /// Make the webhook's certificate without cert-manager (a one-shot Job): a CA and a
    /// serving certificate in a TLS Secret, the CA in the webhook configuration.
    ServeCerts(ServeCertsArgs),
}

#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell: `source <(kubeharden completions bash)`, or save the script where
    /// your shell loads completions from.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args)]
pub struct ManArgs {
    /// Write `kubeharden.1` and a page per command (`kubeharden-scan.1`, ...) here,
    /// instead of printing the main page.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Args)]
pub struct ServeCertsArgs {
    /// The webhook's namespace (default: the pod's own, else `kubeharden`).
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// The webhook's Service: the certificate is for SERVICE.NAMESPACE.svc.
    #[arg(long, value_name = "NAME", default_value = "kubeharden-webhook")]
    pub service: String,
    /// The TLS Secret to create (kept when it exists and is not due for renewal).
    #[arg(long, value_name = "NAME", default_value = "kubeharden-webhook-tls")]
    pub secret: String,
    /// The ValidatingWebhookConfiguration whose caBundle is set.
    #[arg(long, value_name = "NAME", default_value = "kubeharden")]
    pub webhook_configuration: String,
    /// How long a new certificate is valid, in days.
    #[arg(long, value_name = "DAYS", default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub valid_days: u32,
    /// Renew the Secret's certificate when it has fewer days left than this (or has
    /// expired, or cannot be read); otherwise it is kept.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub renew_before_days: u32,
    /// Wait this long for the webhook configuration to be made (the chart creates it
    /// in the same install as this Job, in no set order), then fail.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub wait_for_configuration: u64,
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

#[derive(Args)]
pub struct ServeArgs {
    /// The serving certificate (PEM, the chain after it); reloaded when it changes.
    #[arg(long, value_name = "FILE")]
    pub cert: PathBuf,
    /// The certificate's private key (PEM); reloaded when it changes.
    #[arg(long, value_name = "FILE")]
    pub key: PathBuf,
    /// The address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:8443")]
    pub addr: std::net::SocketAddr,
    /// The configuration file: modes, exemptions, rules, limits (see README).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A project configuration (`.kubeharden.yaml`, as `scan --config` reads it) whose
    /// exceptions and severity overrides every review applies, as scan does; read again
    /// when it changes.
    #[arg(long, value_name = "FILE")]
    pub exceptions: Option<PathBuf>,
    /// The kubeconfig of the cluster whose namespaces, ServiceAccounts, RBAC and
    /// NetworkPolicies the reviews see (default: $KUBECONFIG, ~/.kube/config, then the
    /// pod's service account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: its current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// No cluster view: namespace modes come from --config only, and findings that
    /// depend on another object are reported as not judged.
    #[arg(long, conflicts_with_all = ["kubeconfig", "context"])]
    pub no_cluster: bool,
}

#[derive(Args)]
pub struct AuditLogArgs {
    /// Audit log files (plain or gzip), or `-` for standard input.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Keep reading the last file as it grows, across rotation, printing alerts as they
    /// are raised (the files before it, and gzip files, are read to their end).
    #[arg(long)]
    pub follow: bool,
    /// Threads that parse lines (default: one per core). The detectors run on one
    /// thread, in log order.
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// The cluster's audit policy: report which detectors it blinds.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Denied source ranges (such as Tor exit nodes): CIDRs, one per line.
    #[arg(long, value_name = "FILE")]
    pub deny_list: Option<PathBuf>,
    /// Pod and node address ranges, for container-breakout detection (repeatable).
    #[arg(long, value_name = "CIDR")]
    pub cluster_cidr: Vec<String>,
    /// Networks service-account tokens may come from (repeatable; default: private ranges).
    #[arg(long, value_name = "CIDR")]
    pub internal_cidr: Vec<String>,
    /// Users or service accounts allowed to read Secrets in bulk (repeatable; `*` globs,
    /// such as `system:serviceaccount:backup:*`).
    #[arg(long, value_name = "USER")]
    pub secret_reader: Vec<String>,
    /// Users or service accounts allowed to exec, attach and port-forward (repeatable;
    /// `*` globs, such as `oncall-*`).
    #[arg(long, value_name = "USER")]
    pub exec_allowed: Vec<String>,
    /// Window of the counting and correlation detectors, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 600.0)]
    pub window: f64,
    /// Failed logins from one address within the window that make a brute force.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub brute_force_failures: usize,
    /// Distinct users failing from one address within the window that make a spray.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub spray_users: usize,
    /// Forbidden answers to one user within the window that make a probe.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub probe_forbidden: usize,
    /// Secret reads by one subject within the window that make a bulk read.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub secret_reads: usize,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub selection: SelectArgs,
}

#[derive(Args)]
pub struct NodeArgs {
    /// The node's filesystem root: `/` on the node, `/host` in a DaemonSet that mounts it.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// A kube-apiserver static pod manifest kept elsewhere.
    #[arg(long, value_name = "FILE")]
    pub apiserver: Option<PathBuf>,
    /// The kubelet's KubeletConfiguration file, if not where its flags say.
    #[arg(long, value_name = "FILE")]
    pub kubelet_config: Option<PathBuf>,
    /// The audit policy file, if not where the API server's flags say.
    #[arg(long, value_name = "FILE")]
    pub audit_policy: Option<PathBuf>,
    /// The encryption configuration file, if not where the API server's flags say.
    #[arg(long, value_name = "FILE")]
    pub encryption_config: Option<PathBuf>,
    /// A kubeconfig to examine besides the usual ones (repeatable). An absolute PATH is
    /// a path on the node, read under --root; a relative one is read from the current
    /// folder. It must exist.
    #[arg(long = "kubeconfig", value_name = "PATH")]
    pub kubeconfigs: Vec<PathBuf>,
    /// The Kubernetes version (e.g. 1.30), when the component images do not say it.
    #[arg(long, value_name = "X.Y")]
    pub k8s_version: Option<String>,
    /// The user that should own configuration files.
    #[arg(long, value_name = "UID", default_value_t = 0)]
    pub owner_uid: u32,
    /// Largest file to read, in bytes: a larger one is an error, not read.
    #[arg(long, value_name = "BYTES", default_value_t = kubeharden_load::DEFAULT_MAX_FILE_SIZE)]
    pub max_file_size: u64,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub selection: SelectArgs,
}

#[derive(Subcommand)]
pub enum RbacCommand {
    /// Every subject allowed VERB on RESOURCE, with the binding and role that grant it.
    #[command(after_help = QUERY_FORMATS)]
    WhoCan(WhoCanArgs),
    /// Whether SUBJECT may do VERB on RESOURCE, and why.
    #[command(after_help = YES_OR_NO)]
    Can(CanArgs),
    /// The effective permissions of SUBJECT: every role bound to it, with its scope.
    #[command(after_help = QUERY_FORMATS)]
    Permissions(PermissionsArgs),
}

/// The request of an RBAC query.
#[derive(Args)]
pub struct RequestArgs {
    /// The verb: get, list, watch, create, update, patch, delete, escalate, bind, impersonate, ...
    pub verb: String,
    /// RESOURCE[/SUBRESOURCE], optionally RESOURCE.GROUP (deployments.apps), or a
    /// non-resource URL (/metrics).
    pub resource: String,
    /// The namespace; without it, the request is cluster-wide (all namespaces).
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    /// A specific object name (rules with resourceNames only match named requests).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
}

#[derive(Args)]
pub struct WhoCanArgs {
    #[command(flatten)]
    pub request: RequestArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: QueryOutputArgs,
}

#[derive(Args)]
pub struct CanArgs {
    /// user:NAME, group:NAME or sa:NAMESPACE/NAME.
    pub subject: String,
    #[command(flatten)]
    pub request: RequestArgs,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: QueryOutputArgs,
}

#[derive(Args)]
pub struct PermissionsArgs {
    /// user:NAME, group:NAME or sa:NAMESPACE/NAME.
    pub subject: String,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: QueryOutputArgs,
}

#[derive(Subcommand)]
pub enum NetpolCommand {
    /// Whether one workload can open connections to another, and the policies that decide.
    #[command(after_help = YES_OR_NO)]
    Reach(ReachArgs),
    /// The workload-to-workload reachability matrix of a namespace.
    #[command(after_help = QUERY_FORMATS)]
    Matrix(MatrixArgs),
}

/// What every query's help ends with.
const QUERY_FORMATS: &str = "Queries write text or json (--format); the other formats are for reports.\nExit codes: 0 answered, 2 errors (or nothing scanned).";

/// What the help of a yes-or-no query ends with: its exit codes, as `kubectl auth can-i`.
const YES_OR_NO: &str = "Queries write text or json (--format); the other formats are for reports.\nExit codes, as `kubectl auth can-i`: 0 yes (allowed), 1 no (denied), 2 errors (or nothing scanned).";

/// Where a netpol query reads its objects from.
#[derive(Args)]
pub struct InputArgs {
    /// Files and folders holding the objects the query reads (roles and bindings;
    /// workloads, Namespaces and NetworkPolicies); `-` reads standard input. Default:
    /// the current folder.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Skip files and folders matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

/// How the objects of the PATHs make up clusters.
#[derive(Args, Clone)]
pub struct ClusterArgs {
    /// The namespace of namespaced objects that set none (as `kubectl apply -n NS`).
    #[arg(long, value_name = "NS", default_value = kubeharden_load::DEFAULT_NAMESPACE, value_parser = parse_namespace)]
    pub default_namespace: String,
    /// Treat all PATHs as one cluster. By default each PATH is a cluster of its own,
    /// and objects of one never refer to objects of another.
    #[arg(long)]
    pub one_cluster: bool,
}

#[derive(Args)]
pub struct ReachArgs {
    /// The sending workload: NAMESPACE/NAME or NAMESPACE/KIND/NAME.
    #[arg(long, value_name = "NS/WORKLOAD")]
    pub from: String,
    /// The receiving workload: NAMESPACE/NAME or NAMESPACE/KIND/NAME.
    #[arg(long, value_name = "NS/WORKLOAD")]
    pub to: String,
    /// Only this port, as PORT or PORT/PROTOCOL (TCP by default), or the name of a
    /// container port of --to (http, http/TCP); otherwise whether some port is open.
    #[arg(long, value_name = "P/PROTO")]
    pub port: Option<String>,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: QueryOutputArgs,
}

#[derive(Args)]
pub struct MatrixArgs {
    /// The namespace whose workloads to compare.
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: String,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: QueryOutputArgs,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// Which rules a reporting command runs, and which findings fail it.
#[derive(Args)]
pub struct SelectArgs {
    /// Only these rules (IDs, ID prefixes such as KH1, or names), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub select: Vec<String>,
    /// Skip these rules (IDs, ID prefixes or names), comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    pub ignore: Vec<String>,
    /// Only report findings of this severity or higher (each finding's own severity;
    /// checks whose findings it hides leave the compliance score).
    #[arg(long, value_name = "LEVEL", value_parser = Choices::new(parse_severity, SEVERITIES))]
    pub min_severity: Option<Severity>,
    /// Exit 1 when a finding is at or above LEVEL (critical, high, medium, low, info, or
    /// none) [default: low].
    #[arg(long, value_name = "LEVEL", value_parser = Choices::new(parse_fail_on, FAIL_ON_LEVELS))]
    pub fail_on: Option<FailOn>,
    /// Whether errors in the input (files that cannot be read or parsed, such as
    /// template placeholders) fail the run with exit code 2: always, or never (they are
    /// still reported, and the exit code comes from the findings alone). A run that
    /// checked nothing at all exits 2 either way.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = FailOnErrors::Always)]
    pub fail_on_errors: FailOnErrors,
    /// The same as --fail-on-errors never (the name other scanners use): unparsable
    /// files are reported but do not fail the run.
    #[arg(long, conflicts_with = "fail_on_errors")]
    pub soft_fail: bool,
    /// Print only the summary (score, guidance sections, top risks, rules), not each
    /// finding: text output; the other formats always hold it.
    #[arg(long)]
    pub summary: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// The configuration file, exceptions and baselines.
#[derive(Args)]
pub struct ConfigArgs {
    /// The configuration file (default: .kubeharden.yaml in the scanned folder or the
    /// nearest folder above it; for cluster, node and audit-log, above the current
    /// folder). Flags override what it sets.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read no configuration file.
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
    /// Report and fail only on findings not in this baseline file; the others are
    /// kept as suppressed (JSON, SARIF) and counted.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the fingerprints of the findings to FILE (a baseline), then report with it
    /// applied.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Warn about exceptions of the configuration file that covered no finding.
    #[arg(long)]
    pub report_unused_exceptions: bool,
    /// List suppressed findings (exceptions, baseline) in text output too, not only
    /// their count.
    #[arg(long)]
    pub show_suppressed: bool,
}

/// `--fail-on-errors`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum FailOnErrors {
    #[default]
    Always,
    Never,
}

/// Options every reporting command shares.
#[derive(Args)]
pub struct OutputArgs {
    /// Output format [default: text, or what --output's extension names: .json,
    /// .sarif, .xml (junit), .html, .md or .markdown].
    #[arg(long = "format", short = 'f', value_name = "FORMAT", value_parser = Choices::new(parse_format, FORMATS))]
    pub explicit_format: Option<Format>,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Colour text output: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// The output options of a query (`rbac`, `netpol`): text or JSON only.
#[derive(Args)]
pub struct QueryOutputArgs {
    /// Output format [default: text, or json when --output ends in .json].
    #[arg(long = "format", short = 'f', value_name = "FORMAT", value_parser = Choices::new(parse_query_format, QUERY_FORMAT_NAMES))]
    pub explicit_format: Option<Format>,
    /// Write the answer to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Colour text output: auto (on a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

const QUERY_FORMAT_NAMES: &[&str] = &["text", "json"];
/// What audit-log writes: every report format but PolicyReports, which are of a
/// cluster's objects, not of events in a log.
const AUDIT_FORMAT_NAMES: &[&str] = &["text", "json", "sarif", "junit", "html", "markdown"];

fn parse_query_format(s: &str) -> Result<Format, String> {
    parse_format_among(s, QUERY_FORMAT_NAMES)
}

fn parse_audit_format(s: &str) -> Result<Format, String> {
    parse_format_among(s, AUDIT_FORMAT_NAMES)
}

/// A format among `names`, the ones a command writes.
fn parse_format_among(s: &str, names: &[&str]) -> Result<Format, String> {
    let listed = |f: Format| names.iter().any(|n| n.parse() == Ok(f));
    let expected = match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    };
    match s.parse::<Format>() {
        Ok(format) if listed(format) => Ok(format),
        Ok(_) => Err(format!("this command writes {expected}, not {s}")),
        // A suggestion among the formats this command writes only: `markdwon` is
        // not told to try `markdown`, which would be refused next.
        Err(_) => Err(format!(
            "unknown format {s:?} (expected {expected}){}",
            did_you_mean(s, names.iter().copied())
        )),
    }
}

impl QueryOutputArgs {
    /// As the reporting commands' options, for the code they share.
    pub fn as_output(&self) -> OutputArgs {
        OutputArgs {
            explicit_format: self.explicit_format,
            output: self.output.clone(),
            color: self.color,
        }
    }

    pub fn format(&self) -> Format {
        self.as_output().format()
    }
}

impl OutputArgs {
    /// The report's format: `--format`, else the one `--output`'s extension names
    /// (`-o report.sarif` is SARIF, not text in a file named .sarif), else text.
    pub fn format(&self) -> Format {
        self.explicit_format
            .or_else(|| self.output.as_deref().and_then(format_of_file))
            .unwrap_or(Format::Text)
    }
}

/// The format a report file's extension names, where it names one without doubt.
pub(crate) fn format_of_file(path: &std::path::Path) -> Option<Format> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let by_suffix = [
        (".sarif.json", Format::Sarif),
        (".sarif", Format::Sarif),
        (".json", Format::Json),
        (".junit.xml", Format::Junit),
        (".xml", Format::Junit),
        (".html", Format::Html),
        (".htm", Format::Html),
        (".md", Format::Markdown),
        (".markdown", Format::Markdown),
    ];
    by_suffix
        .into_iter()
        .find(|(suffix, _)| name.ends_with(suffix))
        .map(|(_, format)| format)
}

#[derive(Args)]
pub struct ScanArgs {
    /// Files and folders to scan; `-` reads standard input. Default: the current folder.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Rule set: all, nsa-cisa, pss-baseline or pss-restricted [default: all].
    #[arg(long, value_parser = Choices::new(parse_framework, FRAMEWORKS))]
    pub framework: Option<Framework>,
    #[command(flatten)]
    pub selection: SelectArgs,
    /// Skip files and folders matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// The Pod Security level every namespace should enforce: baseline or restricted
    /// [default: baseline].
    #[arg(long, value_name = "LEVEL", value_parser = Choices::new(parse_pss_level, PSS_LEVELS))]
    pub pss_target: Option<PssLevel>,
    /// Largest file to read, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = kubeharden_load::DEFAULT_MAX_FILE_SIZE)]
    pub max_file_size: u64,
    /// Report each rule's finding apart, even where several state one problem of one
    /// object (by default they are one finding that names every rule it stands for).
    #[arg(long)]
    pub no_merge: bool,
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[command(flatten)]
    pub render: RenderArgs,
}

/// How the Helm charts among the PATHs are rendered (`helm template`'s options).
#[derive(Args, Clone, Default)]
#[command(next_help_heading = "Helm charts")]
pub struct RenderArgs {
    /// A values file for every chart (repeatable; later files win).
    #[arg(long, value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// A value for every chart, as `helm template --set` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// The release name [default: release-name].
    #[arg(long, value_name = "NAME")]
    pub release_name: Option<String>,
    /// The release namespace; also the namespace of the chart's objects that name none.
    #[arg(long, value_name = "NS", value_parser = parse_namespace)]
    pub namespace: Option<String>,
    /// The Kubernetes version the charts are rendered for (`.Capabilities.KubeVersion`).
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// A variant: every chart is also rendered with FILE after the --values files and
    /// reported as NAME (repeatable; with any, each chart is rendered once per variant).
    #[arg(long, value_name = "NAME=FILE")]
    pub values_set: Vec<kubeharden_engine::ValuesSet>,
}

impl RenderArgs {
    /// The engine's render options; a render prints at most `max_output` bytes.
    pub fn options(&self, max_output: u64) -> kubeharden_engine::RenderOptions {
        kubeharden_engine::RenderOptions {
            values: self.values.clone(),
            set: self.set.clone(),
            release_name: self.release_name.clone(),
            namespace: self.namespace.clone(),
            kube_version: self.kube_version.clone(),
            values_sets: self.values_set.clone(),
            max_output,
        }
    }
}

#[derive(Args)]
pub struct FixArgs {
    /// The scan whose findings to fix: PATHs, the report's format (text or json) and
    /// file, the rule selection, as for `scan`.
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Edit the YAML sources themselves (comments, key order and formatting kept)
    /// instead of writing patches.
    #[arg(long)]
    pub in_place: bool,
    /// Write nothing: print the unified diff of the edits (with --in-place) or the
    /// patch files.
    #[arg(long)]
    pub dry_run: bool,
    /// Where the patches and their kustomization.yaml go.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "kubeharden-fixes",
        conflicts_with = "in_place"
    )]
    pub output_dir: PathBuf,
    /// Run containers whose user is unknown or root as this UID (runAsUser), so that
    /// runAsNonRoot and dropping capabilities can be set. Only if the images work so.
    #[arg(long, value_name = "UID", value_parser = clap::value_parser!(i64).range(1..=2147483647))]
    pub run_as_user: Option<i64>,
    /// CPU request for containers that set none (a quantity, such as 100m).
    #[arg(long, value_name = "QUANTITY", value_parser = parse_quantity)]
    pub cpu_request: Option<String>,
    /// Memory request for containers that set none (such as 128Mi).
    #[arg(long, value_name = "QUANTITY", value_parser = parse_quantity)]
    pub memory_request: Option<String>,
    /// CPU limit for containers that set none (such as 500m).
    #[arg(long, value_name = "QUANTITY", value_parser = parse_quantity)]
    pub cpu_limit: Option<String>,
    /// Memory limit for containers that set none (such as 256Mi).
    #[arg(long, value_name = "QUANTITY", value_parser = parse_quantity)]
    pub memory_limit: Option<String>,
    /// Also add default-deny NetworkPolicies to namespaces that run workloads (they
    /// cut off every connection no other policy allows, DNS included).
    #[arg(long)]
    pub default_deny: bool,
}

/// A Kubernetes resource quantity (`100m`, `128Mi`, `1.5`).
fn parse_quantity(s: &str) -> Result<String, String> {
    if !kubeharden_load::is_quantity(s) {
        return Err("not a Kubernetes quantity (such as 100m, 0.5, 128Mi or 1Gi)".into());
    }
    // A zero limit is no limit (the API server reads 0 as unset): it would fix nothing.
    if kubeharden_fix::quantity(s).is_some_and(|q| q <= 0.0) {
        return Err("a quantity above zero (0 sets no limit and reserves nothing)".into());
    }
    Ok(s.to_string())
}

#[derive(Args)]
pub struct ClusterScanArgs {
    /// The kubeconfig file (default: $KUBECONFIG, then ~/.kube/config; inside a pod
    /// without either, the pod's service account).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: its current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Only these namespaces (repeatable, or comma-separated); cluster-wide objects
    /// (RBAC, nodes, webhooks) are still read. Default: all namespaces.
    #[arg(long, short = 'n', value_name = "NS", value_delimiter = ',', value_parser = parse_namespace)]
    pub namespace: Vec<String>,
    /// Also write the objects read to FILE, a YAML stream with Secret values removed;
    /// `kubeharden scan FILE` judges it offline.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Seconds one request may take before it is retried.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,
    /// Retries of a request that failed for a transient reason (no connection, no
    /// answer in time, 429 or 5xx), with backoff from 0.5 s to 8 s.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub retries: u32,
    /// Objects per list request (limit/continue pages).
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub chunk_size: u32,
    /// Also store the findings in the cluster as wgpolicyk8s.io/v1alpha2 PolicyReports
    /// (one per namespace with findings) and a ClusterPolicyReport, and delete the
    /// reports of earlier runs that no longer apply (kept after a scan with errors,
    /// which may have missed objects). Needs the PolicyReport CRDs and
    /// write access to them (deploy/). With --namespace, only those namespaces'
    /// reports are written and deleted, and the ClusterPolicyReport is left as it is.
    #[arg(long)]
    pub write_policy_reports: bool,
    /// Results kept per PolicyReport, the most severe first; the rest are counted in
    /// its summary and annotations. Reports are also capped at 256 KiB.
    #[arg(long, value_name = "N", default_value_t = kubeharden_report::DEFAULT_MAX_RESULTS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=5000))]
    pub report_max_results: usize,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Rule set: all, nsa-cisa, pss-baseline or pss-restricted [default: all].
    #[arg(long, value_parser = Choices::new(parse_framework, FRAMEWORKS))]
    pub framework: Option<Framework>,
    #[command(flatten)]
    pub selection: SelectArgs,
    /// Worker threads that judge objects (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// The Pod Security level every namespace should enforce: baseline or restricted
    /// [default: baseline].
    #[arg(long, value_name = "LEVEL", value_parser = Choices::new(parse_pss_level, PSS_LEVELS))]
    pub pss_target: Option<PssLevel>,
    /// Report each rule's finding apart, even where several state one problem of one
    /// object (by default they are one finding that names every rule it stands for).
    #[arg(long)]
    pub no_merge: bool,
}

#[derive(Args)]
pub struct RulesArgs {
    #[command(flatten)]
    pub output: QueryOutputArgs,
    /// Only the rules of this framework.
    #[arg(long, default_value = "all", value_parser = Choices::new(parse_framework, FRAMEWORKS))]
    pub framework: Framework,
}

#[derive(Args)]
pub struct ExplainArgs {
    /// Rule ID (KH101) or name (privileged-container), or a guidance row (POD-12): its
    /// title and the rules that check it.
    pub rule: String,
    #[command(flatten)]
    pub output: QueryOutputArgs,
}

const FORMATS: &[&str] = &[
    "text",
    "json",
    "sarif",
    "junit",
    "policyreport",
    "html",
    "markdown",
];
const FRAMEWORKS: &[&str] = &["all", "nsa-cisa", "pss-baseline", "pss-restricted"];
const SEVERITIES: &[&str] = &["critical", "high", "medium", "low", "info"];
const FAIL_ON_LEVELS: &[&str] = &["critical", "high", "medium", "low", "info", "none"];
const PSS_LEVELS: &[&str] = &["baseline", "restricted"];

/// A value parser that keeps our own parsing and messages ("did you mean") and tells
/// clap the values there are, so `--help`, shell completions and man pages list them.
struct Choices<T, E> {
    parse: fn(&str) -> Result<T, E>,
    values: &'static [&'static str],
}

// By hand: a derive would ask `T: Clone, E: Clone`, and only the pointer is copied.
impl<T, E> Clone for Choices<T, E> {
    fn clone(&self) -> Self {
        Choices {
            parse: self.parse,
            values: self.values,
        }
    }
}

impl<T, E> Choices<T, E> {
    fn new(parse: fn(&str) -> Result<T, E>, values: &'static [&'static str]) -> Self {
        Choices { parse, values }
    }
}

impl<T, E> clap::builder::TypedValueParser for Choices<T, E>
where
    T: Clone + Send + Sync + 'static,
    E: std::fmt::Display + Send + Sync + 'static,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let fail = |why: String| {
            let arg = arg.map_or_else(|| "...".to_string(), ToString::to_string);
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!(
                    "invalid value '{}' for '{arg}': {why}\n",
                    value.to_string_lossy()
                ),
            )
            .with_cmd(cmd)
        };
        let text = value
            .to_str()
            .ok_or_else(|| fail("not UTF-8".to_string()))?;
        (self.parse)(text).map_err(|e| fail(e.to_string()))
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.values
                .iter()
                .map(|v| clap::builder::PossibleValue::new(*v)),
        ))
    }
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
        .map_err(|e: UnknownFormat| format!("{e}{}", did_you_mean(s, FORMATS.iter().copied())))
}

fn parse_framework(s: &str) -> Result<Framework, String> {
    s.parse().map_err(|e: UnknownFramework| {
        format!("{e}{}", did_you_mean(s, FRAMEWORKS.iter().copied()))
    })
}

/// A `--pss-target` that is no Pod Security level.
#[derive(Debug, thiserror::Error)]
#[error("unknown level {given:?} (expected baseline or restricted){}", did_you_mean(given, ["baseline", "restricted"]))]
pub struct UnknownLevel {
    given: String,
}

fn parse_pss_level(s: &str) -> Result<PssLevel, UnknownLevel> {
    match s.to_ascii_lowercase().as_str() {
        "baseline" => Ok(PssLevel::Baseline),
        "restricted" => Ok(PssLevel::Restricted),
        _ => Err(UnknownLevel {
            given: s.to_string(),
        }),
    }
}

/// A namespace that the API server would refuse.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not a namespace name (lowercase letters, digits and '-', at most 63)")]
pub struct BadNamespace(String);

/// A namespace name as the API server accepts it: a DNS label.
fn parse_namespace(s: &str) -> Result<String, BadNamespace> {
    let valid = !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if valid {
        Ok(s.to_string())
    } else {
        Err(BadNamespace(s.to_string()))
    }
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
        .map_err(|e: UnknownSeverity| format!("{e}{}", did_you_mean(s, SEVERITIES.iter().copied())))
}

/// The lowest severity that fails the run; `None` never fails on findings.
#[derive(Clone, Copy, Debug)]
pub struct FailOn(pub Option<Severity>);

/// A `--fail-on` level that is no severity and not `none`.
#[derive(Debug, thiserror::Error)]
#[error("unknown level {given:?} (expected critical, high, medium, low, info or none){}", did_you_mean(given, SEVERITIES.iter().copied().chain(["none"])))]
pub struct UnknownFailOn {
    given: String,
}

fn parse_fail_on(s: &str) -> Result<FailOn, UnknownFailOn> {
    match s.to_ascii_lowercase().as_str() {
        "none" | "never" => Ok(FailOn(None)),
        _ => s
            .parse()
            .map(|sev| FailOn(Some(sev)))
            .map_err(|_: UnknownSeverity| UnknownFailOn {
                given: s.to_string(),
            }),
    }
}

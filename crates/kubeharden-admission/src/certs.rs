//! The webhook's certificate where cert-manager is not installed: a one-shot Job runs
//! `kubeharden serve-certs`, which makes a CA and a serving certificate for the
//! webhook's Service, stores them in a `kubernetes.io/tls` Secret (the CA as
//! `ca.crt`) and puts the CA in the ValidatingWebhookConfiguration's `caBundle`.
//! The certificate is valid for `valid_days` (a year by default), never forever: a
//! key that leaks stops working. A Secret that already holds a certificate is kept
//! while it has more than `renew_before_days` left (the Job can run again after an
//! upgrade; the chart's CronJob runs it every week), and only the `caBundle` is set
//! from it again. Nearer its end, expired, or unreadable, it is renewed: a new CA and
//! certificate in the Secret, and a `caBundle` of the new CA and the old one, so that
//! the API server trusts both the replicas that still serve the old certificate and
//! those that have reloaded the new one.

use k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use kube::api::PostParams;
use kube::{Api, Client};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// What the Job is told.
#[derive(Clone, Debug)]
pub struct CertJob {
    pub namespace: String,
    /// The webhook's Service: the certificate names `SERVICE.NAMESPACE.svc`.
    pub service: String,
    pub secret: String,
    pub webhook_configuration: String,
    /// How long a new serving certificate is valid.
    pub valid_days: u32,
    /// A certificate with less left than this is renewed.
    pub renew_before_days: u32,
    /// How long to wait for the webhook configuration to exist: the chart makes the
    /// Job in the same install as the configuration, in no set order.
    pub wait_for_configuration: std::time::Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum CertJobError {
    #[error("cannot make the certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{what}: {source}")]
    Api { what: String, source: ApiFailure },
    #[error("Secret {0} holds no ca.crt")]
    NoCa(String),
}

/// An API call's failure, said in one line.
#[derive(Debug)]
pub struct ApiFailure(pub kube::Error);

impl std::error::Error for ApiFailure {}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            kube::Error::Api(status) => {
                let hint = match status.code {
                    403 => {
                        " (the Job's service account lacks the right: see its Role and ClusterRole)"
                    }
                    404 => {
                        " (create it first: the chart and manifests make it before the Job runs)"
                    }
                    _ => "",
                };
                write!(f, "{} ({}){hint}", status.message, status.reason)
            }
            other => write!(f, "{other}"),
        }
    }
}

/// A CA and a serving certificate for `dns_names`, valid from an hour ago (clocks
/// differ) for `valid_days` (the CA a day longer), as PEM: (ca, cert, key).
///
/// Each CA's name carries the time it was made, so that during a renewal the two CAs
/// in the `caBundle` are told apart by name as well as by key identifier. The
/// serving certificate may only sign TLS handshakes of a server (key usage and
/// extended key usage), and names its CA's key, as verifiers expect of a real PKI.
pub fn generate(
    dns_names: Vec<String>,
    valid_days: u32,
) -> Result<(String, String, String), rcgen::Error> {
    let now = time::OffsetDateTime::now_utc();
    let from = now - time::Duration::hours(1);
    let until = now + time::Duration::days(i64::from(valid_days));
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    (ca.not_before, ca.not_after) = (from, until + time::Duration::days(1));
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(DnType::CommonName, ca_common_name(now));
    let ca_cert = ca.self_signed(&ca_key)?;
    let key = KeyPair::generate()?;
    let mut serving = CertificateParams::new(dns_names.clone())?;
    (serving.not_before, serving.not_after) = (from, until);
    serving.is_ca = IsCa::ExplicitNoCa;
    serving.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    serving.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    serving.use_authority_key_identifier_extension = true;
    if let Some(first) = dns_names.first() {
        serving.distinguished_name.push(DnType::CommonName, first);
    }
    let cert = serving.signed_by(&key, &Issuer::from_params(&ca, &ca_key))?;
    Ok((ca_cert.pem(), cert.pem(), key.serialize_pem()))
}

/// The CA's common name: the product and when it was made, to the millisecond (two
/// renewals in one second still name their CAs apart).
fn ca_common_name(made: time::OffsetDateTime) -> String {
    format!(
        "kubeharden webhook CA {:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        made.year(),
        u8::from(made.month()),
        made.day(),
        made.hour(),
        made.minute(),
        made.second(),
        made.millisecond()
    )
}

/// Why a certificate is renewed: it expires within `within_days` (or has), or it
/// cannot be read. None while it has longer.
pub fn renewal_due(cert_pem: &[u8], within_days: u32) -> Option<String> {
    let Ok((_, pem)) = x509_parser::pem::parse_x509_pem(cert_pem) else {
        return Some("its tls.crt is no PEM certificate".to_string());
    };
    let Ok(cert) = pem.parse_x509() else {
        return Some("its tls.crt cannot be read as a certificate".to_string());
    };
    let not_after = cert.validity().not_after.timestamp();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let left_days = (not_after - now).div_euclid(86_400);
    let until = cert.validity().not_after.to_datetime().date();
    match left_days {
        d if d < 0 => Some(format!("its certificate expired on {until}")),
        d if d < i64::from(within_days) => {
            Some(format!("its certificate expires on {until}, in {d} days"))
        }
        _ => None,
    }
}

/// Why a Secret's pair cannot serve `service` (`web.ns.svc`), though it has not
/// expired: its key is not the certificate's (every replica would refuse to start),
/// or the certificate does not name the Service (the API server would refuse every
/// handshake). None when it can.
pub fn unservable(cert_pem: &[u8], key_pem: &[u8], service: &str) -> Option<String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls::crypto::ring::sign::any_supported_type;
    use tokio_rustls::rustls::sign::CertifiedKey;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .filter_map(Result::ok)
        .collect();
    let signing = PrivateKeyDer::from_pem_slice(key_pem)
        .ok()
        .and_then(|key| any_supported_type(&key).ok());
    let Some(signing) = signing.filter(|_| !chain.is_empty()) else {
        return Some("its tls.key cannot be read as a private key".to_string());
    };
    if CertifiedKey::new(chain, signing).keys_match().is_err() {
        return Some("its tls.key is not the key of its certificate".to_string());
    }
    let (_, pem) = x509_parser::pem::parse_x509_pem(cert_pem).ok()?;
    let cert = pem.parse_x509().ok()?;
    let names: Vec<String> = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    x509_parser::extensions::GeneralName::DNSName(dns) => Some(dns.to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    (!names.iter().any(|n| n == service)).then(|| {
        format!(
            "its certificate names {} but not the Service {service}",
            match names.is_empty() {
                true => "no DNS name".to_string(),
                false => names.join(", "),
            }
        )
    })
}

/// The data of a TLS Secret holding `ca`, `cert` and `key`.
fn tls_data(ca: &str, cert: String, key: String) -> std::collections::BTreeMap<String, ByteString> {
    [
        ("ca.crt", ca.to_string()),
        ("tls.crt", cert),
        ("tls.key", key),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), ByteString(v.into_bytes())))
    .collect()
}

impl CertJob {
    /// Makes the Secret when missing, renews it when due, and sets the `caBundle`.
    /// The webhook configuration is read first (no rights, or none there: nothing is
    /// changed), and a new CA enters the `caBundle` before the Secret holds its
    /// certificate, so that no replica ever serves a certificate the API server does
    /// not trust, even when a step fails.
    pub async fn run(&self, client: &Client) -> Result<(), CertJobError> {
        let hooks: Api<ValidatingWebhookConfiguration> = Api::all(client.clone());
        let config = self.configuration(&hooks).await?;
        let bundled = current_bundle(&config);
        let secrets: Api<Secret> = Api::namespaced(client.clone(), &self.namespace);
        let existing = secrets
            .get_opt(&self.secret)
            .await
            .map_err(api(format!("get Secret {}", self.secret)))?;
        let field = |secret: &Secret, key: &str| {
            let data = secret.data.as_ref();
            data.and_then(|d| d.get(key)).map(|b| b.0.clone())
        };
        let service = format!("{}.{}.svc", self.service, self.namespace);
        let due = existing.as_ref().map(|secret| {
            let cert = field(secret, "tls.crt").unwrap_or_default();
            let key = field(secret, "tls.key").unwrap_or_default();
            renewal_due(&cert, self.renew_before_days).or_else(|| unservable(&cert, &key, &service))
        });
        match (existing, due) {
            // Kept: its CA stays in the bundle beside those still valid there (a
            // renewal a moment ago left the old one for replicas yet to reload).
            (Some(secret), Some(None)) => {
                let ca = field(&secret, "ca.crt")
                    .ok_or_else(|| CertJobError::NoCa(self.secret.clone()))?;
                self.set_ca_bundle(&hooks, config, bundle_of(&ca, &bundled))
                    .await
                    .map(|_| ())
            }
            (existing, due) => {
                let (ca, cert, key) = self.generate()?;
                self.set_ca_bundle(&hooks, config, bundle_of(ca.as_bytes(), &bundled))
                    .await?;
                let why = due.flatten();
                self.store(&secrets, existing, tls_data(&ca, cert, key), why)
                    .await
            }
        }
    }

    /// The webhook configuration, once it exists (polled every 2 s until the wait is
    /// over; then the API server's "not found" is the error).
    async fn configuration(
        &self,
        hooks: &Api<ValidatingWebhookConfiguration>,
    ) -> Result<ValidatingWebhookConfiguration, CertJobError> {
        let name = &self.webhook_configuration;
        let what = || format!("get ValidatingWebhookConfiguration {name}");
        let until = std::time::Instant::now() + self.wait_for_configuration;
        let mut said = false;
        loop {
            if let Some(config) = hooks.get_opt(name).await.map_err(api(what()))? {
                return Ok(config);
            }
            if std::time::Instant::now() >= until {
                return hooks.get(name).await.map_err(api(what()));
            }
            if !said {
                eprintln!("kubeharden serve-certs: waiting for ValidatingWebhookConfiguration {name} to be made (up to {} s)", self.wait_for_configuration.as_secs());
                said = true;
            }
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    }

    fn generate(&self) -> Result<(String, String, String), rcgen::Error> {
        let svc = format!("{}.{}.svc", self.service, self.namespace);
        let names = vec![svc.clone(), format!("{svc}.cluster.local")];
        generate(names, self.valid_days)
    }

    /// Creates the Secret, or replaces its data (`why` it is renewed).
    async fn store(
        &self,
        secrets: &Api<Secret>,
        existing: Option<Secret>,
        data: std::collections::BTreeMap<String, ByteString>,
        why: Option<String>,
    ) -> Result<(), CertJobError> {
        let (ns, name) = (&self.namespace, &self.secret);
        match existing {
            Some(mut secret) => {
                secret.data = Some(data);
                secrets
                    .replace(name, &PostParams::default(), &secret)
                    .await
                    .map_err(api(format!("update Secret {name}")))?;
                let why = why.unwrap_or_default();
                eprintln!(
                    "kubeharden serve-certs: renewed Secret {ns}/{name}: {why} (valid {} days now)",
                    self.valid_days
                );
            }
            None => {
                let secret = Secret {
                    metadata: ObjectMeta {
                        name: Some(name.clone()),
                        namespace: Some(ns.clone()),
                        ..ObjectMeta::default()
                    },
                    type_: Some("kubernetes.io/tls".to_string()),
                    data: Some(data),
                    ..Secret::default()
                };
                secrets
                    .create(&PostParams::default(), &secret)
                    .await
                    .map_err(api(format!("create Secret {name}")))?;
                eprintln!(
                    "kubeharden serve-certs: created Secret {ns}/{name} (valid {} days)",
                    self.valid_days
                );
            }
        }
        Ok(())
    }

    async fn set_ca_bundle(
        &self,
        hooks: &Api<ValidatingWebhookConfiguration>,
        mut config: ValidatingWebhookConfiguration,
        ca: Vec<u8>,
    ) -> Result<ValidatingWebhookConfiguration, CertJobError> {
        let name = &self.webhook_configuration;
        // Already so: nothing is written (a run that keeps everything needs no right
        // to update the configuration, and makes no new generation of it).
        let unchanged = config.webhooks.iter().flatten().all(|hook| {
            hook.client_config
                .ca_bundle
                .as_ref()
                .is_some_and(|b| b.0 == ca)
        });
        if unchanged && config.webhooks.as_ref().is_some_and(|w| !w.is_empty()) {
            eprintln!("kubeharden serve-certs: caBundle of ValidatingWebhookConfiguration {name} already holds the CA");
            return Ok(config);
        }
        for hook in config.webhooks.iter_mut().flatten() {
            hook.client_config.ca_bundle = Some(ByteString(ca.clone()));
        }
        let config = hooks
            .replace(name, &PostParams::default(), &config)
            .await
            .map_err(api(format!("update ValidatingWebhookConfiguration {name}")))?;
        eprintln!("kubeharden serve-certs: caBundle of ValidatingWebhookConfiguration {name} set");
        Ok(config)
    }
}

/// The error of an API call, said in one line: the API server's message and reason.
fn api(what: String) -> impl FnOnce(kube::Error) -> CertJobError {
    move |source| CertJobError::Api {
        what,
        source: ApiFailure(source),
    }
}

/// The certificates of the configuration's first webhook's `caBundle`.
fn current_bundle(config: &ValidatingWebhookConfiguration) -> Vec<Vec<u8>> {
    let bundle = config
        .webhooks
        .iter()
        .flatten()
        .find_map(|hook| hook.client_config.ca_bundle.as_ref())
        .map(|b| b.0.clone())
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bundle);
    let end = "-----END CERTIFICATE-----";
    text.split_inclusive(end)
        .map(str::trim_start)
        .filter(|pem| pem.ends_with(end))
        .map(|pem| format!("{pem}\n").into_bytes())
        .collect()
}

/// `ca` first, then the CAs of `bundled` that are not it and have not expired: at
/// most three in all.
fn bundle_of(ca: &[u8], bundled: &[Vec<u8>]) -> Vec<u8> {
    let mut out = ca.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let trimmed = |pem: &[u8]| String::from_utf8_lossy(pem).trim().to_string();
    let others = bundled
        .iter()
        .filter(|pem| trimmed(pem) != trimmed(ca))
        .filter(|pem| renewal_due(pem, 0).is_none())
        .take(2);
    for pem in others {
        out.extend_from_slice(pem);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_serving_certificate_loads_and_names_the_service() {
        let (ca, cert, key) = super::generate(vec!["webhook.kubeharden.svc".into()], 365).unwrap();
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
        // A year's certificate is not due for renewal within 30 days, but is within
        // 400; it is never valid forever.
        assert_eq!(super::renewal_due(cert.as_bytes(), 30), None);
        let due = super::renewal_due(cert.as_bytes(), 400).unwrap();
        assert!(due.contains("expires on") && due.contains("in 36"), "{due}");
        assert!(super::renewal_due(b"not a certificate", 30).is_some());
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c"), &cert).unwrap();
        std::fs::write(dir.path().join("k"), &key).unwrap();
        crate::server::load_certified_key(&dir.path().join("c"), &dir.path().join("k")).unwrap();
    }

    #[test]
    fn a_pair_that_cannot_serve_the_service_is_renewed() {
        let svc = "webhook.kubeharden.svc";
        let (_, cert, key) = super::generate(vec![svc.into()], 365).unwrap();
        assert_eq!(
            super::unservable(cert.as_bytes(), key.as_bytes(), svc),
            None
        );
        let (_, _, other_key) = super::generate(vec![svc.into()], 365).unwrap();
        let why = super::unservable(cert.as_bytes(), other_key.as_bytes(), svc).unwrap();
        assert!(why.contains("not the key of its certificate"), "{why}");
        let why = super::unservable(cert.as_bytes(), b"garbage", svc).unwrap();
        assert!(why.contains("cannot be read"), "{why}");
        let why =
            super::unservable(cert.as_bytes(), key.as_bytes(), "other.kubeharden.svc").unwrap();
        assert!(
            why.contains("names webhook.kubeharden.svc but not the Service other.kubeharden.svc"),
            "{why}"
        );
    }

    fn parsed(pem: &str) -> x509_parser::pem::Pem {
        x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap().1
    }

    #[test]
    fn the_ca_signs_only_certificates_and_the_serving_certificate_only_serves() {
        use x509_parser::extensions::ParsedExtension;
        let (ca, cert, _) = super::generate(vec!["webhook.kubeharden.svc".into()], 365).unwrap();
        let (ca_pem, cert_pem) = (parsed(&ca), parsed(&cert));
        let (ca, cert) = (ca_pem.parse_x509().unwrap(), cert_pem.parse_x509().unwrap());
        let usage = ca.key_usage().unwrap().unwrap().value;
        assert!(usage.key_cert_sign() && usage.crl_sign() && !usage.digital_signature());
        assert!(ca.basic_constraints().unwrap().unwrap().value.ca);
        assert!(ca
            .subject()
            .to_string()
            .contains("kubeharden webhook CA 20"));
        let usage = cert.key_usage().unwrap().unwrap().value;
        assert!(usage.digital_signature() && !usage.key_cert_sign());
        let extended = cert.extended_key_usage().unwrap().unwrap().value;
        assert!(extended.server_auth && !extended.client_auth);
        assert!(!cert.basic_constraints().unwrap().unwrap().value.ca);
        let ca_key_id = ca
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
                _ => None,
            });
        let named_issuer_key = cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    aki.key_identifier.as_ref().map(|id| id.0.to_vec())
                }
                _ => None,
            });
        assert!(ca_key_id.is_some());
        assert_eq!(
            named_issuer_key, ca_key_id,
            "the serving certificate names its CA's key"
        );
    }

    #[test]
    fn two_cas_made_at_different_times_have_different_names() {
        let earlier = time::OffsetDateTime::from_unix_timestamp(1_767_323_045).unwrap();
        assert_eq!(
            super::ca_common_name(earlier),
            "kubeharden webhook CA 2026-01-02T03:04:05.000Z"
        );
        assert_ne!(
            super::ca_common_name(earlier),
            super::ca_common_name(earlier + time::Duration::milliseconds(1))
        );
    }
}

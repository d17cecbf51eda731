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
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

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
}

#[derive(Debug, thiserror::Error)]
pub enum CertJobError {
    #[error("cannot make the certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{what}: {source}")]
    Api { what: String, source: kube::Error },
    #[error("Secret {0} holds no ca.crt")]
    NoCa(String),
}

/// A CA and a serving certificate for `dns_names`, valid from an hour ago (clocks
/// differ) for `valid_days` (the CA a day longer), as PEM: (ca, cert, key).
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
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "kubeharden webhook CA");
    let ca_cert = ca.self_signed(&ca_key)?;
    let key = KeyPair::generate()?;
    let mut serving = CertificateParams::new(dns_names.clone())?;
    (serving.not_before, serving.not_after) = (from, until);
    if let Some(first) = dns_names.first() {
        serving.distinguished_name.push(DnType::CommonName, first);
    }
    let cert = serving.signed_by(&key, &Issuer::from_params(&ca, &ca_key))?;
    Ok((ca_cert.pem(), cert.pem(), key.serialize_pem()))
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
    /// Makes the Secret when missing, renews it when due, then sets the `caBundle`.
    pub async fn run(&self, client: &Client) -> Result<(), CertJobError> {
        let secrets: Api<Secret> = Api::namespaced(client.clone(), &self.namespace);
        let api = |what: String| move |source| CertJobError::Api { what, source };
        let existing = secrets
            .get_opt(&self.secret)
            .await
            .map_err(api(format!("get Secret {}", self.secret)))?;
        let bundle = match existing {
            Some(secret) => self.kept_or_renewed(&secrets, secret).await?,
            None => {
                let (ca, cert, key) = self.generate()?;
                let secret = Secret {
                    metadata: ObjectMeta {
                        name: Some(self.secret.clone()),
                        namespace: Some(self.namespace.clone()),
                        ..ObjectMeta::default()
                    },
                    type_: Some("kubernetes.io/tls".to_string()),
                    data: Some(tls_data(&ca, cert, key)),
                    ..Secret::default()
                };
                secrets
                    .create(&PostParams::default(), &secret)
                    .await
                    .map_err(api(format!("create Secret {}", self.secret)))?;
                eprintln!(
                    "kubeharden serve-certs: created Secret {}/{} (valid {} days)",
                    self.namespace, self.secret, self.valid_days
                );
                ca.into_bytes()
            }
        };
        self.set_ca_bundle(client, bundle).await
    }

    fn generate(&self) -> Result<(String, String, String), rcgen::Error> {
        let svc = format!("{}.{}.svc", self.service, self.namespace);
        let names = vec![svc.clone(), format!("{svc}.cluster.local")];
        generate(names, self.valid_days)
    }

    /// The CA bundle of a Secret that exists: its own CA while its certificate has
    /// long enough left; else, once renewed in place, the new CA and the old one.
    async fn kept_or_renewed(
        &self,
        secrets: &Api<Secret>,
        mut secret: Secret,
    ) -> Result<Vec<u8>, CertJobError> {
        let field = |name: &str| {
            let data = secret.data.as_ref();
            data.and_then(|d| d.get(name)).map(|b| b.0.clone())
        };
        let old_ca = field("ca.crt");
        let due = renewal_due(
            &field("tls.crt").unwrap_or_default(),
            self.renew_before_days,
        );
        let Some(why) = due else {
            return old_ca.ok_or_else(|| CertJobError::NoCa(self.secret.clone()));
        };
        let (ca, cert, key) = self.generate()?;
        secret.data = Some(tls_data(&ca, cert, key));
        secrets
            .replace(&self.secret, &PostParams::default(), &secret)
            .await
            .map_err(|source| CertJobError::Api {
                what: format!("update Secret {}", self.secret),
                source,
            })?;
        eprintln!(
            "kubeharden serve-certs: renewed Secret {}/{}: {why} (valid {} days now)",
            self.namespace, self.secret, self.valid_days
        );
        let mut bundle = ca.into_bytes();
        // The old CA stays trusted while replicas still serve its certificate.
        if let Some(old) = old_ca.filter(|old| renewal_due(old, 0).is_none()) {
            bundle.extend_from_slice(&old);
        }
        Ok(bundle)
    }

    async fn set_ca_bundle(&self, client: &Client, ca: Vec<u8>) -> Result<(), CertJobError> {
        let api = |what: String| move |source| CertJobError::Api { what, source };
        let hooks: Api<ValidatingWebhookConfiguration> = Api::all(client.clone());
        let name = &self.webhook_configuration;
        let mut config = hooks
            .get(name)
            .await
            .map_err(api(format!("get ValidatingWebhookConfiguration {name}")))?;
        for hook in config.webhooks.iter_mut().flatten() {
            hook.client_config.ca_bundle = Some(ByteString(ca.clone()));
        }
        hooks
            .replace(name, &PostParams::default(), &config)
            .await
            .map_err(api(format!("update ValidatingWebhookConfiguration {name}")))?;
        eprintln!("kubeharden serve-certs: caBundle of ValidatingWebhookConfiguration {name} set");
        Ok(())
    }
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
}

//! The webhook's certificate where cert-manager is not installed: a one-shot Job runs
//! `kubeharden serve-certs`, which makes a CA and a serving certificate for the
//! webhook's Service, stores them in a `kubernetes.io/tls` Secret (the CA as
//! `ca.crt`) and puts the CA in the ValidatingWebhookConfiguration's `caBundle`.
//! A Secret that already holds a certificate is kept (the Job can run again after
//! an upgrade); only the `caBundle` is set from it again.

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

/// A CA and a serving certificate for `dns_names`, as PEM: (ca, cert, key).
pub fn generate(dns_names: Vec<String>) -> Result<(String, String, String), rcgen::Error> {
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "kubeharden webhook CA");
    let ca_cert = ca.self_signed(&ca_key)?;
    let key = KeyPair::generate()?;
    let mut serving = CertificateParams::new(dns_names.clone())?;
    if let Some(first) = dns_names.first() {
        serving.distinguished_name.push(DnType::CommonName, first);
    }
    let cert = serving.signed_by(&key, &Issuer::from_params(&ca, &ca_key))?;
    Ok((ca_cert.pem(), cert.pem(), key.serialize_pem()))
}

impl CertJob {
    /// Makes the Secret when missing, then sets the `caBundle`.
    pub async fn run(&self, client: &Client) -> Result<(), CertJobError> {
        let secrets: Api<Secret> = Api::namespaced(client.clone(), &self.namespace);
        let api = |what: String| move |source| CertJobError::Api { what, source };
        let existing = secrets
            .get_opt(&self.secret)
            .await
            .map_err(api(format!("get Secret {}", self.secret)))?;
        let ca = match existing {
            Some(secret) => {
                let ca = secret.data.as_ref().and_then(|d| d.get("ca.crt")).cloned();
                ca.ok_or_else(|| CertJobError::NoCa(self.secret.clone()))?.0
            }
            None => {
                let svc = format!("{}.{}.svc", self.service, self.namespace);
                let names = vec![svc.clone(), format!("{svc}.cluster.local")];
                let (ca, cert, key) = generate(names)?;
                let data = [("ca.crt", ca.clone()), ("tls.crt", cert), ("tls.key", key)]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), ByteString(v.into_bytes())))
                    .collect();
                let secret = Secret {
                    metadata: ObjectMeta {
                        name: Some(self.secret.clone()),
                        namespace: Some(self.namespace.clone()),
                        ..ObjectMeta::default()
                    },
                    type_: Some("kubernetes.io/tls".to_string()),
                    data: Some(data),
                    ..Secret::default()
                };
                secrets
                    .create(&PostParams::default(), &secret)
                    .await
                    .map_err(api(format!("create Secret {}", self.secret)))?;
                eprintln!(
                    "kubeharden serve-certs: created Secret {}/{}",
                    self.namespace, self.secret
                );
                ca.into_bytes()
            }
        };
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
        let (ca, cert, key) = super::generate(vec!["webhook.kubeharden.svc".into()]).unwrap();
        assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c"), &cert).unwrap();
        std::fs::write(dir.path().join("k"), &key).unwrap();
        crate::server::load_certified_key(&dir.path().join("c"), &dir.path().join("k")).unwrap();
    }
}

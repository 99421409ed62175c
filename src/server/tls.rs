//! HTTPS: the server certificate and the rustls configuration.
//!
//! The certificate is either read from PEM files (`--tls-cert` + `--tls-key`) or generated at
//! startup with rcgen: a self-signed certificate for `localhost`, `127.0.0.1` and `::1`, written
//! to a file (`--tls-cert-out`, or a fresh file in the temp directory, removed again when the
//! server stops) so clients can trust it. ALPN offers `h2` first, then `http/1.1`.
//!
//! The crypto provider is named explicitly (aws-lc-rs, the one poem and tokio-rustls build
//! with), so it does not matter which other providers the build happens to enable.

use crate::config::Config;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use tokio_rustls::rustls::crypto::aws_lc_rs;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// The names the generated certificate is valid for.
pub const GENERATED_CERT_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// A ready TLS setup: the acceptor and where clients find the certificate.
pub struct Tls {
    /// Performs the handshake on accepted connections.
    pub acceptor: TlsAcceptor,
    /// The certificate file clients can trust (the generated one, or `--tls-cert`).
    pub cert_path: PathBuf,
    /// The certificate chain, PEM-encoded.
    pub cert_pem: String,
    /// Removes a generated temp-dir certificate file when the server is gone.
    _generated_file: Option<RemoveOnDrop>,
}

impl Tls {
    /// Builds the TLS setup `config` asks for: its PEM files, or a generated certificate.
    pub fn from_config(config: &Config) -> io::Result<Tls> {
        match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Tls::from_files(cert, key),
            (None, None) => Tls::generated(config.tls_cert_out.as_deref()),
            (Some(_), None) => Err(invalid_input("--tls-cert needs --tls-key as well")),
            (None, Some(_)) => Err(invalid_input("--tls-key needs --tls-cert as well")),
        }
    }

    /// Reads a PEM certificate chain and its private key.
    pub fn from_files(cert_path: &Path, key_path: &Path) -> io::Result<Tls> {
        let cert_pem = std::fs::read_to_string(cert_path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot read --tls-cert {}: {e}", cert_path.display()),
            )
        })?;
        let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                invalid_input(format!(
                    "--tls-cert {} is not a PEM certificate: {e}",
                    cert_path.display()
                ))
            })?;
        if chain.is_empty() {
            return Err(invalid_input(format!(
                "--tls-cert {} holds no certificate",
                cert_path.display()
            )));
        }
        let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| {
            invalid_input(format!(
                "--tls-key {} is not a PEM private key: {e}",
                key_path.display()
            ))
        })?;
        Ok(Tls {
            acceptor: acceptor(chain, key)?,
            cert_path: cert_path.to_path_buf(),
            cert_pem,
            _generated_file: None,
        })
    }

    /// Generates a self-signed certificate for [`GENERATED_CERT_NAMES`] and writes it to
    /// `out` (or to a new file in the temp directory, removed again on drop).
    pub fn generated(out: Option<&Path>) -> io::Result<Tls> {
        let (cert_pem, chain, key) = generate_certificate()?;
        let (cert_path, guard) = match out {
            Some(path) => {
                std::fs::write(path, &cert_pem).map_err(|e| {
                    io::Error::new(
                        e.kind(),
                        format!("cannot write the certificate to {}: {e}", path.display()),
                    )
                })?;
                (path.to_path_buf(), None)
            }
            None => {
                let path = write_temp_certificate(&cert_pem)?;
                (path.clone(), Some(RemoveOnDrop(path)))
            }
        };
        Ok(Tls {
            acceptor: acceptor(chain, key)?,
            cert_path,
            cert_pem,
            _generated_file: guard,
        })
    }
}

/// A fresh self-signed certificate: its PEM text, the DER chain and the private key.
fn generate_certificate(
) -> io::Result<(String, Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let names: Vec<String> = GENERATED_CERT_NAMES.iter().map(|s| s.to_string()).collect();
    let mut params = rcgen::CertificateParams::new(names).map_err(io::Error::other)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "openai-mock localhost");
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::DigitalSignature,
        rcgen::KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let signing_key = rcgen::KeyPair::generate().map_err(io::Error::other)?;
    let cert = params.self_signed(&signing_key).map_err(io::Error::other)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signing_key.serialize_der()));
    Ok((cert.pem(), vec![cert.der().clone()], key))
}

/// Writes `pem` to a new, uniquely named file in the temp directory.
fn write_temp_certificate(pem: &str) -> io::Result<PathBuf> {
    static SEQUENCE: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir();
    loop {
        let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("openai-mock-{}-{n}-cert.pem", std::process::id()));
        // create_new: never follow or clobber a file someone else put there.
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                use std::io::Write;
                file.write_all(pem.as_bytes())?;
                return Ok(path);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot write the certificate to {}: {e}", path.display()),
                ))
            }
        }
    }
}

/// The rustls acceptor for a chain and key, offering `h2` and `http/1.1`.
fn acceptor(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> io::Result<TlsAcceptor> {
    let mut config = ServerConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| invalid_input(format!("the certificate and key do not fit: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn invalid_input(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message.into())
}

/// Deletes a file when dropped.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificate_is_written_and_removed_with_the_setup() {
        let tls = Tls::generated(None).expect("certificate");
        let path = tls.cert_path.clone();
        let on_disk = std::fs::read_to_string(&path).expect("written");
        assert_eq!(on_disk, tls.cert_pem);
        assert!(on_disk.starts_with("-----BEGIN CERTIFICATE-----"));
        drop(tls);
        assert!(!path.exists(), "{} outlived the server", path.display());
    }

    #[test]
    fn pem_files_round_trip_and_mismatches_are_explained() {
        let dir = std::env::temp_dir().join(format!("openai-mock-tls-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let (pem, _, key) = generate_certificate().expect("certificate");
        let cert_path = dir.join("cert.pem");
        let key_path = dir.join("key.pem");
        std::fs::write(&cert_path, &pem).expect("cert");
        let PrivateKeyDer::Pkcs8(pkcs8) = key else {
            panic!("rcgen keys are PKCS#8")
        };
        let key_pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                pkcs8.secret_pkcs8_der()
            )
        );
        std::fs::write(&key_path, key_pem).expect("key");
        let tls = Tls::from_files(&cert_path, &key_path).expect("loads");
        assert_eq!(tls.cert_path, cert_path);
        drop(tls);
        assert!(cert_path.exists(), "a user's certificate is never removed");

        std::fs::write(&key_path, "not a key").expect("key");
        let error = Tls::from_files(&cert_path, &key_path).err().expect("fails");
        assert!(error.to_string().contains("--tls-key"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

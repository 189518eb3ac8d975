//! Credentials: static keys, or the standard AWS default chain through `aws-config`,
//! resolved lazily and cached until shortly before they expire.

use crate::error::{Error, ErrorKind, Result};
use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_runtime_api::client::identity::Identity;
use std::fmt;
use std::sync::RwLock;
use std::time::{Duration, SystemTime};

/// Static AWS credentials. `Debug` never shows the secret or the session token.
///
/// ```
/// use apigw_management::Credentials;
///
/// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI", Some("token".into()));
/// let shown = format!("{creds:?}");
/// assert!(shown.contains("AKIDEXAMPLE"));
/// assert!(!shown.contains("wJalrXUtnFEMI") && !shown.contains("token\""));
/// ```
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl Credentials {
    /// Keys and an optional session token.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: session_token.filter(|t| !t.is_empty()),
        }
    }

    /// The access key id (not a secret).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.access_key_id.trim().is_empty() {
            return Err(Error::config("credentials: the access key id is empty"));
        }
        if self.secret_access_key.is_empty() {
            return Err(Error::config("credentials: the secret access key is empty"));
        }
        Ok(())
    }

    fn to_identity(&self) -> Identity {
        aws_credential_types::Credentials::new(
            self.access_key_id.clone(),
            self.secret_access_key.clone(),
            self.session_token.clone(),
            None,
            "static",
        )
        .into()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// Refresh this long before expiry.
const REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);

/// Where credentials come from, and the cached identity.
pub(crate) struct CredentialCache {
    source: Source,
    cached: RwLock<Option<Identity>>,
    refresh: tokio::sync::Mutex<()>,
}

enum Source {
    Static(Identity),
    Chain {
        profile: Option<String>,
        region: Option<String>,
        provider: tokio::sync::OnceCell<Box<dyn ProvideCredentials>>,
    },
}

impl CredentialCache {
    pub fn new(
        creds: Option<&Credentials>,
        profile: Option<String>,
        region: Option<String>,
    ) -> Self {
        let source = match creds {
            Some(c) => Source::Static(c.to_identity()),
            None => Source::Chain {
                profile,
                region,
                provider: tokio::sync::OnceCell::new(),
            },
        };
        CredentialCache {
            source,
            cached: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    /// The current identity: cached, or freshly resolved when missing or near expiry.
    pub async fn identity(&self) -> Result<Identity> {
        let (profile, region, provider) = match &self.source {
            Source::Static(id) => return Ok(id.clone()),
            Source::Chain {
                profile,
                region,
                provider,
            } => (profile, region, provider),
        };
        if let Some(id) = self.fresh() {
            return Ok(id);
        }
        let _guard = self.refresh.lock().await;
        if let Some(id) = self.fresh() {
            return Ok(id);
        }
        // The environment first, as a Lambda has it: the full chain (whose web identity
        // provider builds an HTTPS client and reads the system's certificates) only when
        // the environment has no keys.
        let from_env = match profile {
            Some(_) => None,
            None => EnvironmentVariableCredentialsProvider::new()
                .provide_credentials()
                .await
                .ok(),
        };
        let creds = match from_env {
            Some(c) => c,
            None => provider
                .get_or_init(|| default_chain(profile.as_deref(), region.as_deref()))
                .await
                .provide_credentials()
                .await
                .map_err(|e| credentials_error(profile.as_deref(), e))?,
        };
        let id: Identity = creds.into();
        *self.cached.write().unwrap_or_else(|p| p.into_inner()) = Some(id.clone());
        Ok(id)
    }

    fn fresh(&self) -> Option<Identity> {
        let guard = self.cached.read().unwrap_or_else(|p| p.into_inner());
        let id = guard.as_ref()?;
        match id.expiration() {
            Some(exp) if exp <= SystemTime::now() + REFRESH_BEFORE => None,
            _ => Some(id.clone()),
        }
    }
}

/// The standard default chain (environment, profiles, web identity, container, IMDS).
async fn default_chain(profile: Option<&str>, region: Option<&str>) -> Box<dyn ProvideCredentials> {
    let mut chain = aws_config::default_provider::credentials::DefaultCredentialsChain::builder();
    if let Some(p) = profile {
        chain = chain.profile_name(p);
    }
    if let Some(r) = region {
        chain = chain.region(aws_config::Region::new(r.to_string()));
    }
    Box::new(chain.build().await)
}

fn credentials_error(
    profile: Option<&str>,
    err: aws_credential_types::provider::error::CredentialsError,
) -> Error {
    let profile = profile
        .map(|p| format!("profile {p:?}"))
        .unwrap_or_else(|| "the default profile (AWS_PROFILE)".into());
    Error::new(
        ErrorKind::Credentials,
        format!(
            "no usable AWS credentials: tried the environment (AWS_ACCESS_KEY_ID / \
             AWS_SECRET_ACCESS_KEY), {profile} in the shared config and credentials files, \
             web identity (AWS_WEB_IDENTITY_TOKEN_FILE), the container endpoint \
             (AWS_CONTAINER_CREDENTIALS_*) and EC2 instance metadata; pass credentials \
             explicitly or configure one of these"
        ),
    )
    .with_source(err)
}

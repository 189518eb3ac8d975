//! Identifiers of the service's shapes: connection ids (`V-M0CclhjoECETA=`), the ids of
//! route events' requests and messages, and API ids (`a1b2c3d4e5`).

use base64::Engine as _;

/// A fresh id of the connection-id shape: 11 random bytes as URL-safe base64, 16
/// characters ending in `=` (`-` and `_` instead of `+` and `/`).
///
/// The bytes come from `fastrand`, seeded per thread from the OS: unguessable enough for
/// a loopback stand-in, not a secret.
///
/// ```
/// let id = apigw_management_local::new_connection_id();
/// assert_eq!(id.len(), 16);
/// assert!(id.ends_with('='));
/// ```
pub fn new_connection_id() -> String {
    let mut bytes = [0u8; 11];
    fastrand::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE.encode(bytes)
}

/// A fresh API id: 10 characters of lowercase letters and digits.
pub(crate) fn new_api_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..10)
        .map(|_| char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn connection_ids_have_the_service_shape_and_are_unique() {
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let id = new_connection_id();
            assert_eq!(id.len(), 16, "{id}");
            assert!(id.ends_with('=') && !id[..15].contains('='), "{id}");
            assert!(
                id[..15]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
                "{id}"
            );
            assert!(seen.insert(id));
        }
    }

    #[test]
    fn api_ids_have_the_service_shape() {
        let id = new_api_id();
        assert_eq!(id.len(), 10);
        assert!(
            id.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }
}

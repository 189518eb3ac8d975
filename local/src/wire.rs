//! How the service shapes its answers: error responses and request ids.

/// An error answer: status, `x-amzn-ErrorType` and the JSON body's `message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError {
    /// HTTP status.
    pub status: u16,
    /// The error name (`GoneException`, …).
    pub code: &'static str,
    /// The message.
    pub message: String,
}

impl ServiceError {
    /// An error answer.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ServiceError {
            status,
            code,
            message: message.into(),
        }
    }

    /// 410: the connection is unknown or closed (the service sends no message).
    pub fn gone() -> Self {
        ServiceError::new(410, "GoneException", "")
    }

    /// 403 for an unknown stage or path.
    pub fn forbidden() -> Self {
        ServiceError::new(403, "ForbiddenException", "Forbidden")
    }

    /// The JSON body (`{"message": …}`; empty for a bare 410, as the service sends).
    pub fn body(&self) -> Vec<u8> {
        if self.message.is_empty() {
            return Vec::new();
        }
        serde_json::to_vec(&serde_json::json!({ "message": self.message })).unwrap_or_default()
    }
}

/// A request id of the service's shape (a random UUID).
pub fn request_id() -> String {
    let a = fastrand::u128(..);
    let h = format!("{a:032x}");
    format!(
        "{}-{}-4{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[16..20],
        &h[20..32]
    )
}

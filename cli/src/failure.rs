//! How a command fails: a one-line message and an exit status, as the AWS CLI v2 uses
//! them (252 bad input, 253 configuration, 254 service error, 255 anything else).

use apigw_management::{Error, ErrorKind};
use std::fmt;

/// The command line or an input (file, data, endpoint) is invalid.
pub const BAD_INPUT: u8 = 252;
/// No credentials or region could be found.
pub const CONFIG: u8 = 253;
/// The service answered with an error.
pub const SERVICE: u8 = 254;
/// Anything else (connection failures, timeouts).
pub const OTHER: u8 = 255;
/// Some connections of a broadcast failed, or the demo's checks did not pass.
pub const PARTIAL: u8 = 1;

/// A failed command.
#[derive(Debug)]
pub struct Failure {
    /// Exit status.
    pub code: u8,
    /// One line for stderr (empty when the output already said it).
    pub message: String,
}

impl Failure {
    /// Bad input: exit 252.
    pub fn input(message: impl fmt::Display) -> Self {
        Failure {
            code: BAD_INPUT,
            message: format!("error: {message}"),
        }
    }

    /// Anything else: exit 255.
    pub fn other(message: impl fmt::Display) -> Self {
        Failure {
            code: OTHER,
            message: format!("error: {message}"),
        }
    }

    /// A failure the output has already reported.
    pub fn silent(code: u8) -> Self {
        Failure {
            code,
            message: String::new(),
        }
    }

    /// A core error from `operation` (`PostToConnection`, …), worded as the AWS CLI does
    /// for service errors.
    pub fn call(operation: &str, e: &Error) -> Self {
        if e.kind().is_service() {
            let code = e.code().unwrap_or("ServiceError");
            let mut message = format!(
                "An error occurred ({code}) when calling the {operation} operation: {}",
                e.message()
            );
            if let Some(id) = e.request_id() {
                message.push_str(&format!(" (request id {id})"));
            }
            return Failure {
                code: SERVICE,
                message,
            };
        }
        Failure::from(e)
    }
}

impl From<&Error> for Failure {
    fn from(e: &Error) -> Self {
        let code = match e.kind() {
            ErrorKind::Config | ErrorKind::InvalidInput | ErrorKind::PayloadTooLarge => BAD_INPUT,
            ErrorKind::Credentials => CONFIG,
            k if k.is_service() => SERVICE,
            _ => OTHER,
        };
        Failure {
            code,
            message: format!("error: {}", one_line(&e.to_string())),
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::from(&e)
    }
}

/// Joins a message's lines.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

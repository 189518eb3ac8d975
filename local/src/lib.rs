//! A local stand-in for API Gateway's WebSocket APIs: the signed `@connections`
//! management API on loopback, and the scripted server the test vectors replay against.

pub mod script;
pub mod verify;
pub mod wire;

pub use script::{RecordedRequest, Script, ScriptServer, ScriptedResponse};
pub use verify::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, Verifier};
pub use wire::ServiceError;

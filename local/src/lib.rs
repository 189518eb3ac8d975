//! A local stand-in for API Gateway's WebSocket APIs: the signed `@connections`
//! management API on loopback, and the scripted server the test vectors replay against.
//!
//! [`LocalGateway`] serves WebSocket clients at `ws://127.0.0.1:PORT/{stage}` and the
//! management API at `http://127.0.0.1:PORT/{stage}/@connections/{id}`, delivers route
//! events to a handler or an integration URL, and injects [`Faults`] on demand.

// Functions fit on a screen (the threshold is in clippy.toml).
#![warn(clippy::too_many_lines)]

mod answers;
mod authorizers;
pub mod events;
pub mod faults;
pub mod gateway;
mod ids;
mod intrinsics;
pub mod limits;
mod management;
mod registry;
mod route_selection;
pub mod script;
mod server;
pub mod template;
mod template_api;
mod tls;
pub mod verify;
mod websocket;
pub mod wire;
mod workers;

pub use events::{EventFuture, EventHandler, handler_fn};
pub use faults::{FaultCounts, Faults};
pub use gateway::{
    ConnectionInfo, DEFAULT_CLIENT_BUFFER_BYTES, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_DURATION,
    DEFAULT_STAGE, GatewayBuilder, LocalGateway, Running,
};
pub use ids::new_connection_id;
pub use limits::{ensure_open_files, open_files_limit};
pub use management::MAX_POST_BYTES;
pub use script::{ConnectMode, RecordedRequest, Script, ScriptServer, ScriptedResponse};
pub use template::{Authorizer, Function, Route, Runtime, Template};
pub use verify::{DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, Verifier, format_amz_date};
pub use websocket::{MAX_FRAME_BYTES, MAX_MESSAGE_BYTES};
pub use wire::ServiceError;

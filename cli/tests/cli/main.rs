//! The `apigw-management` binary, run as a user runs it, against a local gateway.

mod bad_input;
mod broadcast;
mod demo;
// Stops the `local` server with SIGTERM, as a service manager does.
#[cfg(unix)]
mod local;
mod operations;
mod support;
mod template;

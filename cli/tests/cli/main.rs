//! The `apigw-management` binary, run as a user runs it, against a local gateway.

mod bad_input;
mod broadcast;
mod demo;
mod local;
mod operations;
mod support;

//! The local gateway against real WebSocket clients and the core client on loopback.

mod delivery;
mod errors;
mod faults;
mod lifecycle;
mod route_events;
mod support;

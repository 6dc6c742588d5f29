//! Resource limits of one invocation.

use std::time::Duration;

use agent_auth_contract::option::TIMEOUT_DEFAULT_SECONDS;

/// Memory, time and network limits.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Linear-memory cap of the component.
    pub memory_bytes: usize,
    /// Wall-clock limit of the whole invocation.
    pub wall_clock: Duration,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Time from sending a request to the response's first byte.
    pub first_byte_timeout: Duration,
    /// Time between two chunks of a response body.
    pub between_bytes_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 64 << 20,
            wall_clock: Duration::from_secs(TIMEOUT_DEFAULT_SECONDS),
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Duration::from_secs(60),
            between_bytes_timeout: Duration::from_secs(30),
        }
    }
}

//! Waiting for a person: check again, with a growing pause, until done or the time is up.

use std::time::{Duration, Instant};

use crate::output::Failure;

/// Pauses between checks (seconds): quick at first, then every five seconds.
const BACKOFF: [u64; 6] = [1, 1, 2, 2, 3, 5];
const STEADY: u64 = 5;

/// Calls `check` after each pause, with the seconds waited so far, until it returns `Some`
/// (that value) or `seconds` have passed (`None`).
pub fn until<T>(seconds: u64, mut check: impl FnMut(u64) -> Result<Option<T>, Failure>) -> Result<Option<T>, Failure> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    for pause in BACKOFF.into_iter().chain(std::iter::repeat(STEADY)) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(Duration::from_secs(pause).min(left));
        if let Some(done) = check(started.elapsed().as_secs())? {
            return Ok(Some(done));
        }
    }
    Ok(None)
}

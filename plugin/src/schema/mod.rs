//! A tool's `input_schema`, read for a model: every way an input breaks it, the closest valid
//! name or value, and the smallest input it accepts.

mod closest;
mod example;
mod fix;
mod quick;
mod violation;

pub use closest::closest;
pub use example::minimal_input;
pub use fix::corrected;
pub use violation::{check, escape as pointer_segment};

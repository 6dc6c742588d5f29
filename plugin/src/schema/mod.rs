//! A tool's `input_schema`, read for a model: every way an input breaks it, the closest valid
//! name or value, and the smallest input it accepts.

mod closest;
mod example;
mod quick;
mod violation;

pub use example::minimal_input;
pub use violation::check;

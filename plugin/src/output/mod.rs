//! The output contract: one JSON object on stdout, human text on stderr, stable codes and exit codes.

mod codes;
mod report;

pub use codes::Code;
pub use report::{
    ActionRequired, Failure, Success, emit_failure, emit_success, flush, install_panic_hook, progress, set_colour,
};

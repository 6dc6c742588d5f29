//! The output contract: one JSON object on stdout, human text on stderr, stable codes and exit codes.

mod report;

pub use agent_auth_contract::code::Code;
pub use report::{
    ActionRequired, Failure, Success, emit_failure, emit_success, flush, install_panic_hook, progress, set_colour,
    set_raw, warned_first,
};

//! Service tokens: `--configure`, `--list-services`, `--get-token`.

use crate::output::{Code, Failure, Success};
use crate::scalekit::Scalekit;
use crate::storage::Storage;

fn pending() -> Failure {
    Failure::new(Code::InternalError, "service tokens are not available in this build yet", "Use --execute-tool or --proxy-request meanwhile.")
}

/// `--configure SERVICE --connection-name C [--identifier I]`.
pub fn configure(_storage: &Storage, _service: &str, _connection_name: &str, _identifier: Option<&str>) -> Result<Success, Failure> {
    Err(pending())
}

/// `--list-services`.
pub fn list_services(_storage: &Storage) -> Result<Success, Failure> {
    Err(pending())
}

/// `--get-token SERVICE... [--for-url URL]`; `identifier` is `--identifier` or `TOOL_IDENTIFIER`.
pub fn get_tokens(_sk: &Scalekit, _storage: &Storage, _services: &[String], _for_url: Option<&str>, _identifier: Option<&str>, _include_static: bool) -> Result<Success, Failure> {
    Err(pending())
}

//! The sandbox around one invocation.

pub mod dirs;
pub mod egress;
pub mod env;
pub mod files;
pub mod ledger;
pub mod limits;
pub mod opened;
pub mod proxy_policy;
pub mod sensitive;

pub use dirs::AgentDirs;
pub use egress::EgressPolicy;
pub use files::{Confinement, FileGrants, FileRules, Staging};
pub use limits::Limits;
pub use sensitive::SensitivePaths;

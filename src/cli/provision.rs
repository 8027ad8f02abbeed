//! `polyrun provision`: the same code as `cargo xtask fetch-runtimes`.

use crate::provision::fetch_runtimes;
use crate::runtimes::RuntimeDir;

#[derive(Debug, clap::Args)]
pub struct ProvisionArgs {
    /// Refetch and rebuild everything, even what is already in place.
    #[arg(long)]
    force: bool,
}

pub async fn provision(dir: &RuntimeDir, args: ProvisionArgs) -> anyhow::Result<i32> {
    fetch_runtimes(dir, args.force).await?;
    Ok(0)
}

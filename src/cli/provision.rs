//! `polyrun provision`: the same code as `cargo xtask fetch-runtimes`.

use std::time::Instant;

use crate::provision::{Progress, ProvisionOptions, provision as provision_runtimes, verify};
use crate::runtimes::RuntimeDir;

#[derive(Debug, clap::Args)]
pub struct ProvisionArgs {
    /// Refetch and rebuild everything, even what is already in place.
    #[arg(long)]
    force: bool,
}

pub async fn provision(dir: &RuntimeDir, args: ProvisionArgs) -> anyhow::Result<i32> {
    let started = Instant::now();
    if !args.force && verify(dir).is_ok() {
        eprintln!(
            "runtimes in {} are up to date (verified in {:.2} s)",
            dir.root().display(),
            started.elapsed().as_secs_f64()
        );
        return Ok(0);
    }
    eprintln!("provisioning runtimes in {}", dir.root().display());
    let options = ProvisionOptions { force: args.force };
    provision_runtimes(dir, &options, &Progress::new(false)).await?;
    eprintln!("runtimes ready in {:.0} s", started.elapsed().as_secs_f64());
    Ok(0)
}

//! `cargo xtask bench`.

use polyrun::runtimes::RuntimeDir;

#[derive(clap::Args)]
pub struct BenchArgs {}

pub async fn run(_dir: &RuntimeDir, _args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}

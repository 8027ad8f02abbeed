//! `polyrun provision`: the same code as `cargo xtask fetch-runtimes`, and
//! `--status` to see where the runtimes are, whether they are ready and
//! what they take on disk.

use std::path::Path;

use crate::provision::{check_ready, fetch_runtimes};
use crate::runtimes::RuntimeDir;

#[derive(Debug, clap::Args)]
pub struct ProvisionArgs {
    /// Refetch and rebuild everything, even what is already in place.
    #[arg(long)]
    force: bool,
    /// Show where the runtimes are, whether they are ready, and their sizes;
    /// change nothing.
    #[arg(long, conflicts_with = "force")]
    status: bool,
}

pub async fn provision(dir: &RuntimeDir, args: ProvisionArgs) -> anyhow::Result<i32> {
    if args.status {
        return Ok(print_status(dir));
    }
    fetch_runtimes(dir, args.force).await?;
    Ok(0)
}

fn print_status(dir: &RuntimeDir) -> i32 {
    println!("runtimes directory: {}", dir.root().display());
    let ready = check_ready(dir);
    match &ready {
        Ok(()) => println!("state: ready"),
        Err(reason) => println!("state: not ready ({reason})"),
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir.root())
        .map(|entries| entries.flatten().collect())
        .unwrap_or_default();
    entries.sort_by_key(|entry| entry.file_name());
    let mut total = 0;
    for entry in entries {
        let bytes = disk_usage(&entry.path());
        total += bytes;
        println!(
            "  {:<16} {:>10}",
            entry.file_name().to_string_lossy(),
            bytesize::ByteSize::b(bytes).display().iec().to_string()
        );
    }
    println!(
        "  {:<16} {:>10}",
        "total",
        bytesize::ByteSize::b(total).display().iec().to_string()
    );
    i32::from(ready.is_err())
}

/// Bytes under `path`, not following links (our own directory, walked with
/// an explicit stack).
fn disk_usage(path: &Path) -> u64 {
    let mut total = 0;
    let mut pending = vec![path.to_path_buf()];
    while let Some(path) = pending.pop() {
        let Ok(metadata) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if metadata.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                pending.extend(entries.flatten().map(|entry| entry.path()));
            }
        } else {
            total += metadata.len();
        }
    }
    total
}

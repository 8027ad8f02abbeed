//! `polyrun languages`.

use crate::language::Language;

pub fn print() -> anyhow::Result<i32> {
    println!(
        "{:<12} {:<9} {:<20} {:<18} notes",
        "language", "version", "aliases", "runtime"
    );
    for language in Language::ALL {
        let info = language.info();
        println!(
            "{:<12} {:<9} {:<20} {:<18} {}",
            info.name,
            info.version,
            info.aliases.join(", "),
            info.runtime,
            info.notes
        );
    }
    Ok(0)
}

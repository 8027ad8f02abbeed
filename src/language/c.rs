//! C: compiled to wasm32-wasip1 by the clang module.

use super::LanguageInfo;

pub const INFO: LanguageInfo = LanguageInfo {
    name: "c",
    aliases: &[],
    runtime: "clang 22 (WASI)",
    version: "C17",
    extension: "c",
    notes: "clang -O2 -std=c17 to wasm32-wasip1; flags: -O0..-O3, -Os, -std=, -D, -W, -g.",
};

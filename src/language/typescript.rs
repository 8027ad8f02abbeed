//! TypeScript: transpiled in the host by oxc (types stripped, not checked;
//! see [`crate::transpile::program`]), then run on QuickJS.

use super::LanguageInfo;

pub const INFO: LanguageInfo = LanguageInfo {
    name: "typescript",
    aliases: &["ts"],
    runtime: "oxc + QuickJS-ng (WASI)",
    version: "5.x syntax",
    extension: "ts",
    notes: "Types are stripped, not checked (like tsx, ts-node --transpile-only, Deno and Bun); enums, namespaces, parameter properties and decorators work.",
};

//! C++: compiled to wasm32-wasip1 by the clang module against libc++.

use super::LanguageInfo;

pub const INFO: LanguageInfo = LanguageInfo {
    name: "c++",
    aliases: &["cpp", "cxx"],
    runtime: "clang 22 (WASI)",
    version: "C++20",
    extension: "cpp",
    notes: "clang++ -O2 -std=c++20, libc++, bits/stdc++.h; an uncaught throw aborts like g++ (catch is not supported yet).",
};

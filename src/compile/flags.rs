//! The compiler flags users may pass: an allowlist, because clang flags can
//! load plugins (`-fplugin`), reach the linker (`-Wl,`, `-Xlinker`), read
//! arbitrary files (`-include`, `--sysroot`) or drive clang's internals
//! (`-Xclang`, `-mllvm`).

/// What the allowlist permits, for error messages.
pub const ALLOWED: &str =
    "-O0, -O1, -O2, -O3, -Os, -std=<standard>, -D<name>[=<value>], -W<warning>, -g";

/// At most this many flags, each at most this long.
const MAX_FLAGS: usize = 64;
const MAX_FLAG_LEN: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("compiler flag '{flag}' is not allowed ({reason}); allowed: {ALLOWED}")]
pub struct FlagError {
    pub flag: String,
    pub reason: &'static str,
}

/// Checks every flag, returning them unchanged when all are allowed.
pub fn validate(flags: &[String]) -> Result<Vec<String>, FlagError> {
    if flags.len() > MAX_FLAGS {
        return Err(FlagError {
            flag: format!("({} flags)", flags.len()),
            reason: "too many flags",
        });
    }
    flags
        .iter()
        .map(|flag| check(flag).map(|()| flag.clone()))
        .collect()
}

fn check(flag: &str) -> Result<(), FlagError> {
    let refuse = |reason| {
        Err(FlagError {
            flag: flag.chars().take(80).collect(),
            reason,
        })
    };
    if flag.len() > MAX_FLAG_LEN || flag.chars().any(char::is_control) {
        return refuse("too long or contains control characters");
    }
    match flag {
        "-O0" | "-O1" | "-O2" | "-O3" | "-Os" | "-g" => return Ok(()),
        _ => {}
    }
    if let Some(standard) = flag.strip_prefix("-std=") {
        let valid = !standard.is_empty()
            && standard
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+');
        return if valid {
            Ok(())
        } else {
            refuse("not a language standard")
        };
    }
    if let Some(definition) = flag.strip_prefix("-D") {
        let name = definition.split('=').next().unwrap_or_default();
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        return if valid {
            Ok(())
        } else {
            refuse("not a macro definition")
        };
    }
    if let Some(warning) = flag.strip_prefix("-W") {
        // -Wl, -Wa, -Wp pass options through to the linker, assembler and
        // preprocessor.
        let valid = !warning.is_empty()
            && !warning.contains(',')
            && warning
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '=' | '+'));
        return if valid {
            Ok(())
        } else {
            refuse("not a warning option")
        };
    }
    refuse("not on the allowlist")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(flags: &[&str]) -> bool {
        validate(&flags.iter().map(|f| f.to_string()).collect::<Vec<_>>()).is_ok()
    }

    #[test]
    fn allows_optimisation_standards_macros_warnings_and_debug() {
        assert!(ok(&[
            "-O0",
            "-O3",
            "-Os",
            "-std=c++17",
            "-std=gnu11",
            "-DDEBUG",
            "-DN=10"
        ]));
        assert!(ok(&[
            "-Wall",
            "-Wextra",
            "-Wno-unused-variable",
            "-Werror=format",
            "-g"
        ]));
    }

    #[test]
    fn refuses_everything_else() {
        for flag in [
            "-Xclang",
            "-fplugin=/x.so",
            "-mllvm",
            "-Wl,--export-all",
            "-Wa,x",
            "-Wp,-MD,/x",
            "-Xlinker",
            "-L/",
            "-lfoo",
            "-I/etc",
            "-include",
            "/etc/passwd",
            "--sysroot=/",
            "-o",
            "-c",
            "-std=c++17;x",
            "-D1X",
            "-D",
            "-W",
            "-O4",
            "-fexceptions",
            "@file",
            "-B/tmp",
            "-E",
            "-shared",
        ] {
            assert!(!ok(&[flag]), "{flag} accepted");
        }
    }

    #[test]
    fn error_names_the_flag_and_the_allowlist() {
        let error = validate(&["-fplugin=x".to_owned()]).unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("'-fplugin=x'") && message.contains("-std=<standard>"),
            "{message}"
        );
    }
}

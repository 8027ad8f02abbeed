//! The shell's view of paths: `/` is the sandbox root, the working directory
//! is a path below it, and `..` at the root stays at the root.
//!
//! Resolution here is lexical only. It decides which name inside the
//! sandbox a user means; whether that name may be followed (a symlink that
//! points outside, say) is for cap-std to refuse when the name is opened.

use std::path::{Component, Path, PathBuf};

/// Resolves `path` (absolute from the sandbox root, or relative to `cwd`)
/// to a normalised path relative to the root; empty means the root.
pub fn resolve(cwd: &Path, path: &str) -> PathBuf {
    let mut resolved = if path.starts_with('/') {
        PathBuf::new()
    } else {
        cwd.to_path_buf()
    };
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                resolved.pop();
            }
            name => resolved.push(name),
        }
    }
    resolved
}

/// The path cap-std should open: `.` for the root.
pub fn cap_path(relative: &Path) -> &Path {
    if relative.as_os_str().is_empty() {
        Path::new(".")
    } else {
        relative
    }
}

/// The path as the guest sees it: `/` or `/dir/file`.
pub fn display(relative: &Path) -> String {
    let mut shown = String::new();
    for component in relative.components() {
        if let Component::Normal(name) = component {
            shown.push('/');
            shown.push_str(&name.to_string_lossy());
        }
    }
    if shown.is_empty() {
        shown.push('/');
    }
    shown
}

/// The path as the prompt shows it: `~` or `~/dir`.
pub fn display_with_home(relative: &Path) -> String {
    let shown = display(relative);
    if shown == "/" {
        "~".to_owned()
    } else {
        format!("~{shown}")
    }
}

/// The last component of a path, for `mv`/`cp` into a directory.
pub fn file_name(relative: &Path) -> Option<&std::ffi::OsStr> {
    relative.file_name()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_dot_never_climbs_above_the_root() {
        let cwd = PathBuf::from("a/b");
        assert_eq!(resolve(&cwd, "../../../.."), PathBuf::new());
        assert_eq!(resolve(&cwd, "../c"), PathBuf::from("a/c"));
        assert_eq!(resolve(&cwd, "/x/./y/"), PathBuf::from("x/y"));
        assert_eq!(resolve(&cwd, "//etc/passwd"), PathBuf::from("etc/passwd"));
        assert_eq!(resolve(&PathBuf::new(), ".."), PathBuf::new());
        assert_eq!(display(&PathBuf::new()), "/");
        assert_eq!(display_with_home(&cwd), "~/a/b");
    }
}

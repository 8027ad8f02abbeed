//! Removing a directory tree that a guest built: of any depth, without
//! recursion, and with a bounded number of open descriptors.
//!
//! A guest can make a chain of 10,000 nested directories in half a second
//! (`mkdir t; rename` in a loop). A recursive walk would take a stack frame
//! per level and the paths would be far past `PATH_MAX`; one descriptor per
//! level would exhaust the process's open-file limit. So the walk keeps at
//! most [`MAX_OPEN_LEVELS`] directories open and works from handles, never
//! long paths: when it reaches that depth, it moves the subdirectory it
//! found up to the top of the tree being removed (a rename within one
//! directory tree, so no data moves) and deals with it from there.

use std::ffi::OsString;
use std::io;
use std::path::Path;

use cap_std::fs::{Dir, ReadDir};

/// Directories held open at once while removing, at most (each costs two
/// descriptors: the directory and its listing).
pub const MAX_OPEN_LEVELS: usize = 32;

/// One open directory of the walk: its handle, its listing in progress,
/// and its name in the directory above.
struct Level {
    dir: Dir,
    entries: ReadDir,
    name: OsString,
}

impl Level {
    fn open(parent: &Dir, name: OsString) -> io::Result<Self> {
        let dir = parent.open_dir(&name)?;
        let entries = dir.entries()?;
        Ok(Self { dir, entries, name })
    }
}

/// Removes `name` inside `parent` and everything below it. Symlinks inside
/// are removed, never followed (the caller checks that `name` itself is a
/// directory, not a link to one). A missing `name` is not an error.
///
/// Entries are opened through cap-std handles, so even a guest that swaps
/// a directory for a symlink mid-walk cannot lead it outside `parent`.
pub fn remove_tree(parent: &Dir, name: &Path) -> io::Result<()> {
    let top = match parent.open_dir(name) {
        Ok(top) => top,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    // Subtrees moved up land in `top`, so it is listed until it is empty.
    while empty_once(&top)? {}
    drop(top);
    match parent.remove_dir(name) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// One pass over `top`: removes what it lists, depth first. Returns
/// whether `top` may have gained entries meanwhile (moved-up subtrees) and
/// needs another pass.
fn empty_once(top: &Dir) -> io::Result<bool> {
    let mut levels: Vec<Level> = Vec::new();
    let mut top_entries = top.entries()?;
    let mut again = false;
    loop {
        let depth = levels.len();
        let (dir, next) = match levels.last_mut() {
            Some(level) => (&level.dir, level.entries.next()),
            None => (top, top_entries.next()),
        };
        let Some(entry) = next else {
            // This level is empty now: remove it from the one above.
            let Some(done) = levels.pop() else {
                return Ok(again);
            };
            let above = levels.last().map_or(top, |level| &level.dir);
            drop(done.entries);
            drop(done.dir);
            ignore_missing(above.remove_dir(&done.name))?;
            continue;
        };
        let entry = entry?;
        let name = entry.file_name();
        let kind = match entry.file_type() {
            Ok(kind) => kind,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        if !kind.is_dir() {
            ignore_missing(dir.remove_file(&name))?;
        } else if depth < MAX_OPEN_LEVELS {
            match Level::open(dir, name) {
                Ok(level) => levels.push(level),
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        } else {
            // Too deep to hold open: move it to the top, for a later pass.
            move_up(dir, &name, top)?;
            again = true;
        }
    }
}

/// Renames `name` in `dir` to a fresh, unguessable name in `top` (a guest
/// cannot have planted files there under names it could not predict).
fn move_up(dir: &Dir, name: &OsString, top: &Dir) -> io::Result<()> {
    let mut last_error = None;
    for _ in 0..8 {
        let fresh = format!(".polyrun-removing-{:032x}", rand::random::<u128>());
        match dir.rename(name, top, fresh) {
            Ok(()) => return Ok(()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("cannot move a subtree up")))
}

fn ignore_missing(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cap_std::ambient_authority;

    fn open(path: &Path) -> Dir {
        Dir::open_ambient_dir(path, ambient_authority()).unwrap()
    }

    /// A chain `depth` directories deep, built from handles the way a guest
    /// builds one (no long paths), with a file at every tenth level.
    fn chain(parent: &Dir, name: &str, depth: usize) {
        parent.create_dir(name).unwrap();
        let mut current = parent.open_dir(name).unwrap();
        for level in 0..depth {
            current.create_dir("d").unwrap();
            if level % 10 == 0 {
                current.write("f", b"x").unwrap();
            }
            current = current.open_dir("d").unwrap();
        }
    }

    #[test]
    fn removes_a_chain_far_deeper_than_the_open_levels() {
        let temp = tempfile::tempdir().unwrap();
        let root = open(temp.path());
        chain(&root, "deep", 10_000);
        // Run on a small stack: the walk must not recurse.
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || remove_tree(&root, Path::new("deep")))
            .unwrap();
        handle.join().unwrap().unwrap();
        assert!(!temp.path().join("deep").exists());
    }

    #[test]
    fn removes_wide_trees_and_symlinks_without_following_them() {
        let temp = tempfile::tempdir().unwrap();
        let outside = temp.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("keep"), "x").unwrap();
        let root = open(temp.path());
        root.create_dir("tree").unwrap();
        let tree = root.open_dir("tree").unwrap();
        for i in 0..500 {
            tree.create_dir_all(format!("a{i}/b/c")).unwrap();
            tree.write(format!("a{i}/b/f"), b"data").unwrap();
        }
        #[cfg(unix)]
        std::os::unix::fs::symlink(&outside, temp.path().join("tree/link")).unwrap();
        remove_tree(&root, Path::new("tree")).unwrap();
        assert!(!temp.path().join("tree").exists());
        assert!(outside.join("keep").exists());
    }

    #[test]
    fn a_missing_tree_is_already_removed() {
        let temp = tempfile::tempdir().unwrap();
        remove_tree(&open(temp.path()), Path::new("nothing")).unwrap();
    }
}

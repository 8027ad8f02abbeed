//! The shell's variables: `NAME=value`, `export`, `unset`.
//!
//! A session's variables live as long as it does, so they are bounded in
//! number and bytes: a client cannot grow the server's memory by setting
//! them in a loop.

use std::collections::BTreeMap;

/// Variables a session may hold, and their names and values together.
const MAX_VARIABLES: usize = 256;
const MAX_BYTES: usize = 64 * 1024;

/// Names the shell keeps itself (`cd` sets `PWD`; the sandbox root is
/// `HOME`): assigning them is refused, as bash refuses a readonly one.
pub const READONLY: [&str; 3] = ["HOME", "PWD", "SHELL"];

#[derive(Default, Clone)]
pub struct Variables {
    values: BTreeMap<String, Variable>,
    bytes: usize,
}

#[derive(Clone)]
struct Variable {
    value: String,
    exported: bool,
}

impl Variables {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(|v| v.value.as_str())
    }

    /// Sets a variable, exporting it if `export` (an exported variable
    /// stays exported).
    pub fn set(&mut self, name: &str, value: String, export: bool) -> Result<(), String> {
        if READONLY.contains(&name) {
            return Err(format!("{name}: readonly variable"));
        }
        let old = self.values.get(name);
        let freed = old.map_or(0, |v| name.len() + v.value.len());
        if old.is_none() && self.values.len() >= MAX_VARIABLES {
            return Err(format!(
                "{name}: too many variables (at most {MAX_VARIABLES})"
            ));
        }
        let bytes = self.bytes - freed + name.len() + value.len();
        if bytes > MAX_BYTES {
            return Err(format!(
                "{name}: variables may hold at most {MAX_BYTES} bytes in all"
            ));
        }
        let exported = export || old.is_some_and(|v| v.exported);
        self.values
            .insert(name.to_owned(), Variable { value, exported });
        self.bytes = bytes;
        Ok(())
    }

    /// Marks a variable exported (creating it empty if unset).
    pub fn export(&mut self, name: &str) -> Result<(), String> {
        match self.values.get_mut(name) {
            Some(variable) => {
                variable.exported = true;
                Ok(())
            }
            None => self.set(name, String::new(), true),
        }
    }

    pub fn unset(&mut self, name: &str) -> Result<(), String> {
        if READONLY.contains(&name) {
            return Err(format!("{name}: cannot unset: readonly variable"));
        }
        if let Some(old) = self.values.remove(name) {
            self.bytes -= name.len() + old.value.len();
        }
        Ok(())
    }

    /// Exported variables, by name.
    pub fn exported(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values
            .iter()
            .filter(|(_, v)| v.exported)
            .map(|(name, v)| (name.as_str(), v.value.as_str()))
    }
}

/// Whether `name` can be a variable's name.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_bounded_and_readonly_names_refused() {
        let mut vars = Variables::default();
        vars.set("A", "1".into(), false).unwrap();
        assert_eq!(vars.exported().count(), 0);
        vars.export("A").unwrap();
        vars.set("A", "2".into(), false).unwrap();
        assert_eq!(vars.exported().collect::<Vec<_>>(), [("A", "2")]);
        assert!(vars.set("PWD", "/x".into(), false).is_err());
        assert!(vars.set("B", "x".repeat(MAX_BYTES), false).is_err());
        for n in 0..MAX_VARIABLES - 1 {
            vars.set(&format!("V{n}"), String::new(), false).unwrap();
        }
        assert!(vars.set("ONE_TOO_MANY", String::new(), false).is_err());
        vars.unset("A").unwrap();
        assert_eq!(vars.get("A"), None);
        assert!(is_name("_a1") && !is_name("1a") && !is_name("a-b"));
    }
}

//! A tiny dependency-free parser for `--flag value` / `--switch` arguments.

use std::collections::BTreeMap;

/// Parsed options of one subcommand.
#[derive(Debug, Default)]
pub struct Args {
    values: BTreeMap<String, String>,
    switches: Vec<String>,
}

impl Args {
    /// Parses `argv` (after the subcommand). `switches` lists the flags that take no value.
    pub fn parse(argv: &[String], allowed: &[&str], switches: &[&str]) -> Result<Args, String> {
        let mut a = Args::default();
        let mut i = 0;
        while i < argv.len() {
            let flag = argv[i].as_str();
            let Some(name) = flag.strip_prefix("--") else {
                return Err(format!("unexpected argument '{flag}'"));
            };
            if switches.contains(&name) {
                a.switches.push(name.to_string());
                i += 1;
                continue;
            }
            if !allowed.contains(&name) {
                return Err(format!("unknown option '{flag}'"));
            }
            let Some(v) = argv.get(i + 1) else {
                return Err(format!("option '{flag}' needs a value"));
            };
            if a.values.insert(name.to_string(), v.clone()).is_some() {
                return Err(format!("option '{flag}' given twice"));
            }
            i += 2;
        }
        Ok(a)
    }

    /// A required option.
    pub fn req(&self, name: &str) -> Result<&str, String> {
        self.values
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| format!("missing --{name}"))
    }

    /// An optional option.
    pub fn opt(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// An optional unsigned number with a default.
    pub fn num(&self, name: &str, default: usize) -> Result<usize, String> {
        match self.opt(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name} must be a non-negative integer, got '{v}'")),
        }
    }

    /// Whether a switch was given.
    pub fn has(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }
}

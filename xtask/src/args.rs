//! Command-line arguments of the xtask commands: positional arguments and `--flag value`
//! options.

pub struct Args {
    pub positional: Vec<String>,
    options: Vec<(String, String)>,
}

impl Args {
    /// Splits `args`; `flags` are the options that take a value.
    pub fn parse(args: &[String], flags: &[&str]) -> Result<Self, String> {
        let mut parsed = Self {
            positional: Vec::new(),
            options: Vec::new(),
        };
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if flags.contains(&arg.as_str()) {
                let value = rest.next().ok_or_else(|| format!("{arg} needs a value"))?;
                parsed.options.push((arg.clone(), value.clone()));
            } else if arg.starts_with('-') {
                return Err(format!("unknown option {arg}"));
            } else {
                parsed.positional.push(arg.clone());
            }
        }
        Ok(parsed)
    }

    /// The value of the last `flag` given.
    pub fn option(&self, flag: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(name, _)| name == flag)
            .map(|(_, value)| value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn splits_positionals_and_options() {
        let args = Args::parse(
            &strings(&["a.elf", "-o", "a.z64", "--title", "x", "-o", "b.z64"]),
            &["-o", "--title"],
        )
        .unwrap();
        assert_eq!(args.positional, ["a.elf"]);
        assert_eq!(args.option("-o"), Some("b.z64"), "the last one wins");
        assert_eq!(args.option("--title"), Some("x"));
        assert_eq!(args.option("--ipl3"), None);
    }

    #[test]
    fn rejects_unknown_and_valueless_options() {
        assert_eq!(
            Args::parse(&strings(&["--bogus"]), &["-o"]).err().unwrap(),
            "unknown option --bogus"
        );
        assert_eq!(
            Args::parse(&strings(&["x", "-o"]), &["-o"]).err().unwrap(),
            "-o needs a value"
        );
    }
}

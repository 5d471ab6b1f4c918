//! How a `run:` script is started for each `shell:`, as GitHub documents it.

/// A resolved shell: the command line (with `{0}` for the script path) and the script's
/// file extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ShellCommand {
    pub(crate) program: String,
    pub(crate) args: Vec<String>,
    pub(crate) extension: &'static str,
}

/// Resolves `shell` (None when the step gives none) to a command for `script_path`.
/// `have` says whether a program is on PATH, for the `bash`-else-`sh` default.
pub(crate) fn resolve(
    shell: Option<&str>,
    script_path: &str,
    have: impl Fn(&str) -> bool,
) -> Result<ShellCommand, String> {
    let template: (&str, &'static str) = match shell.map(str::trim) {
        None | Some("") => {
            if have("bash") {
                ("bash -e {0}", ".sh")
            } else {
                ("sh -e {0}", ".sh")
            }
        }
        Some("bash") => ("bash --noprofile --norc -eo pipefail {0}", ".sh"),
        Some("sh") => ("sh -e {0}", ".sh"),
        Some("python") => {
            if have("python") {
                ("python {0}", ".py")
            } else {
                ("python3 {0}", ".py")
            }
        }
        Some("pwsh") => ("pwsh -command . '{0}'", ".ps1"),
        Some("powershell") => ("powershell -command . '{0}'", ".ps1"),
        Some("cmd") => return Err("`shell: cmd` only exists on Windows runners".to_owned()),
        Some(custom) if custom.contains("{0}") => (custom, ""),
        Some(other) => {
            return Err(format!(
                "unknown shell `{other}`: use bash, sh, python, pwsh, or a command with `{{0}}`"
            ));
        }
    };
    let (line, extension) = template;
    let mut parts = split_words(line)?
        .into_iter()
        .map(|p| p.replace("{0}", script_path));
    let program = parts
        .next()
        .ok_or_else(|| "empty shell command".to_owned())?;
    Ok(ShellCommand {
        program,
        args: parts.collect(),
        extension,
    })
}

/// Splits a command line into words, honouring single quotes, double quotes and backslashes.
fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => word.push(x),
                        None => return Err(format!("unterminated `'` in shell `{line}`")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => word.push(x),
                            Some(x) => {
                                word.push('\\');
                                word.push(x);
                            }
                            None => return Err(format!("unterminated `\"` in shell `{line}`")),
                        },
                        Some(x) => word.push(x),
                        None => return Err(format!("unterminated `\"` in shell `{line}`")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(x) = chars.next() {
                    word.push(x);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_githubs_table() {
        let r = resolve(Some("bash"), "/t/s.sh", |_| true).unwrap();
        assert_eq!(
            (r.program.as_str(), r.args.join(" ")),
            ("bash", "--noprofile --norc -eo pipefail /t/s.sh".to_owned())
        );
        let r = resolve(None, "/t/s.sh", |_| true).unwrap();
        assert_eq!(r.args.join(" "), "-e /t/s.sh");
        let r = resolve(None, "/t/s.sh", |_| false).unwrap();
        assert_eq!(r.program, "sh");
        let r = resolve(Some("perl -w {0}"), "/t/s", |_| true).unwrap();
        assert_eq!(
            (r.program.as_str(), r.args.join(" ")),
            ("perl", "-w /t/s".to_owned())
        );
        assert_eq!(
            resolve(Some("python"), "/s", |p| p == "python3")
                .unwrap()
                .program,
            "python3"
        );
        assert!(resolve(Some("zsh"), "/s", |_| true).is_err());
        let r = resolve(Some(r#"perl -e 'print "a b\n"' {0}"#), "/s", |_| true).unwrap();
        assert_eq!(r.args, ["-e", "print \"a b\\n\"", "/s"]);
        assert!(resolve(Some("bash -c 'oops {0}"), "/s", |_| true).is_err());
    }
}

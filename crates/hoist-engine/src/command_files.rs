//! The files a step writes to talk back to the runner: `GITHUB_OUTPUT`, `GITHUB_ENV`,
//! `GITHUB_PATH` (and `GITHUB_STATE`), in `name=value` or multi-line `name<<DELIM` form.

/// Parses `name=value` lines and `name<<DELIMITER` blocks. Blank lines are ignored.
pub fn parse_key_values(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .peekable();
    while let Some(line) = lines.next() {
        if line.trim().is_empty() {
            continue;
        }
        let heredoc = line.find("<<");
        let equals = line.find('=');
        match (heredoc, equals) {
            // `name<<DELIM` (a `=` may only appear after the `<<`, inside the delimiter).
            (Some(h), e) if e.is_none_or(|e| e > h) => {
                let name = &line[..h];
                let delimiter = &line[h + 2..];
                if name.is_empty() {
                    return Err(format!(
                        "invalid line `{line}`: a name is needed before `<<`"
                    ));
                }
                if delimiter.is_empty() {
                    return Err(format!(
                        "invalid line `{line}`: a delimiter is needed after `<<`"
                    ));
                }
                let mut value_lines = Vec::new();
                let mut closed = false;
                for l in lines.by_ref() {
                    if l == delimiter {
                        closed = true;
                        break;
                    }
                    value_lines.push(l);
                }
                if !closed {
                    return Err(format!(
                        "matching delimiter `{delimiter}` not found for `{name}`"
                    ));
                }
                out.push((name.to_owned(), value_lines.join("\n")));
            }
            (_, Some(e)) => {
                let name = &line[..e];
                if name.is_empty() {
                    return Err(format!(
                        "invalid line `{line}`: a name is needed before `=`"
                    ));
                }
                out.push((name.to_owned(), line[e + 1..].to_owned()));
            }
            _ => {
                return Err(format!(
                    "invalid line `{line}`: expected `name=value` or `name<<DELIMITER`"
                ));
            }
        }
    }
    Ok(out)
}

/// Parses `GITHUB_PATH`: one directory per line, in the order they were added.
pub(crate) fn parse_paths(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_forms() {
        let text = "a=1\n\nb=x=y\nmulti<<EOF\nline one\nline two\nEOF\nempty<<END\nEND\nc=\n";
        assert_eq!(
            parse_key_values(text).unwrap(),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x=y".into()),
                ("multi".into(), "line one\nline two".into()),
                ("empty".into(), String::new()),
                ("c".into(), String::new()),
            ]
        );
    }

    #[test]
    fn windows_line_endings_and_delimiters_with_equals() {
        let text = "a<<ghadelimiter_1=2\r\nv\r\nghadelimiter_1=2\r\n";
        assert_eq!(
            parse_key_values(text).unwrap(),
            vec![("a".into(), "v".into())]
        );
    }

    #[test]
    fn reports_malformed_content() {
        assert!(
            parse_key_values("x<<EOF\nnever closed\n")
                .unwrap_err()
                .contains("`EOF` not found")
        );
        assert!(parse_key_values("just text\n").is_err());
        assert!(parse_key_values("=value\n").is_err());
    }
}

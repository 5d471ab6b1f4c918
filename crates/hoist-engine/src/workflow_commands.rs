//! Workflow commands that steps print on their output: `::error file=a,line=1::message`,
//! `::add-mask::value`, `::group::title`, `::stop-commands::token`, ...

/// A parsed `::command props::message` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowCommand {
    pub name: String,
    pub properties: Vec<(String, String)>,
    pub message: String,
}

impl WorkflowCommand {
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses one output line as a workflow command, or `None` if it is ordinary output.
pub fn parse(line: &str) -> Option<WorkflowCommand> {
    let rest = line.trim_start().strip_prefix("::")?;
    let end = rest.find("::")?;
    let head = &rest[..end];
    let message = unescape_data(&rest[end + 2..]);
    let (name, props) = match head.split_once(' ') {
        Some((n, p)) => (n, p),
        None => (head, ""),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return None;
    }
    let properties = props
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            Some((k.trim().to_owned(), unescape_property(v)))
        })
        .collect();
    Some(WorkflowCommand {
        name: name.to_owned(),
        properties,
        message,
    })
}

fn unescape_data(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

fn unescape_property(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

/// Tracks `::stop-commands::TOKEN` … `::TOKEN::`, between which commands are plain output.
#[derive(Debug, Default)]
pub(crate) struct CommandGate {
    stopped_by: Option<String>,
}

impl CommandGate {
    /// Returns the command to act on, if `line` is one and commands are enabled.
    pub(crate) fn filter(&mut self, line: &str) -> Option<WorkflowCommand> {
        let cmd = parse(line)?;
        if let Some(token) = &self.stopped_by {
            if cmd.name == *token && cmd.properties.is_empty() {
                self.stopped_by = None;
            }
            return None;
        }
        if cmd.name == "stop-commands" {
            if !cmd.message.is_empty() {
                self.stopped_by = Some(cmd.message);
            }
            return None;
        }
        Some(cmd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_with_properties() {
        let c = parse("::error file=src/a.rs,line=10,col=4,title=Bad%2C really::it broke%0Aat 10")
            .unwrap();
        assert_eq!(c.name, "error");
        assert_eq!(c.property("file"), Some("src/a.rs"));
        assert_eq!(c.property("line"), Some("10"));
        assert_eq!(c.property("title"), Some("Bad, really"));
        assert_eq!(c.message, "it broke\nat 10");
        assert_eq!(parse("::add-mask::s3cr3t").unwrap().message, "s3cr3t");
        assert_eq!(parse("::endgroup::").unwrap().name, "endgroup");
        assert_eq!(parse("plain output"), None);
        assert_eq!(parse(":: not a command"), None);
    }

    #[test]
    fn stop_commands_until_the_token() {
        let mut gate = CommandGate::default();
        assert!(gate.filter("::stop-commands::pause-123").is_none());
        assert!(gate.filter("::add-mask::ignored").is_none());
        assert!(gate.filter("::pause-123::").is_none());
        assert_eq!(gate.filter("::add-mask::seen").unwrap().message, "seen");
    }
}

//! Reading `git log -p -U0` output as a stream of added-line fragments, so that history is
//! scanned from one `git` process rather than one per commit.
//!
//! Each commit header is a line `\0<sha>\0<author>\0<email>\0<date>\0<subject>` (the format
//! [`LOG_FORMAT`] asks for). Within a commit, every hunk's added lines form one fragment,
//! scanned as text whose first line is the hunk's first new line number.

use crate::detect::CommitInfo;

/// The `--format` to give `git log` so that [`Patches`] can find commit boundaries.
pub const LOG_FORMAT: &str = "--format=%x00%H%x00%an%x00%ae%x00%aI%x00%s";

/// Added lines of one hunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragment {
    pub commit: Option<CommitInfo>,
    pub file: String,
    /// Line number (in the new file) of the first line of `text`.
    pub first_line: usize,
    pub text: String,
}

/// Turns `git log -p -U0` (or `git diff -U0`) output, fed line by line, into fragments.
#[derive(Debug, Default)]
pub struct Patches {
    commit: Option<CommitInfo>,
    file: Option<String>,
    current: Option<Fragment>,
    /// Added lines seen in the current hunk, used to advance the line number.
    added: usize,
}

impl Patches {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds one line (without its newline); returns a fragment when one is complete.
    pub fn line(&mut self, line: &str) -> Option<Fragment> {
        if let Some(header) = line.strip_prefix('\0') {
            let done = self.finish();
            let mut parts = header.splitn(5, '\0');
            let mut next = || parts.next().unwrap_or_default().to_owned();
            self.commit = Some(CommitInfo {
                sha: next(),
                author: next(),
                email: next(),
                date: next(),
                message: next(),
            });
            self.file = None;
            return done;
        }
        if line.starts_with("diff --git ") {
            let done = self.finish();
            self.file = None;
            return done;
        }
        if let Some(path) = line.strip_prefix("+++ ") {
            let done = self.finish();
            self.file = match path {
                "/dev/null" => None,
                p => Some(
                    p.strip_prefix("b/")
                        .unwrap_or(p)
                        .trim_matches('"')
                        .to_owned(),
                ),
            };
            return done;
        }
        if line.starts_with("--- ") && self.current.is_none() {
            return None;
        }
        if let Some(rest) = line.strip_prefix("@@ ") {
            let done = self.finish();
            // `@@ -a,b +c,d @@`: the new side starts at line c.
            let start = rest
                .split_whitespace()
                .find_map(|p| p.strip_prefix('+'))
                .and_then(|p| p.split(',').next())
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(1);
            if let Some(file) = &self.file {
                self.current = Some(Fragment {
                    commit: self.commit.clone(),
                    file: file.clone(),
                    first_line: start.max(1),
                    text: String::new(),
                });
                self.added = 0;
            }
            return done;
        }
        if let (Some(added), Some(frag)) = (line.strip_prefix('+'), self.current.as_mut()) {
            if self.added > 0 {
                frag.text.push('\n');
            }
            frag.text.push_str(added);
            self.added += 1;
        }
        None
    }

    /// The last fragment, at the end of the input.
    pub fn finish(&mut self) -> Option<Fragment> {
        self.added = 0;
        self.current.take().filter(|f| !f.text.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_history_into_added_fragments() {
        let log = "\0abc123\0Dev\0dev@example.com\x002026-01-02T03:04:05+00:00\0add config\n\ndiff --git a/app.env b/app.env\nnew file mode 100644\n--- /dev/null\n+++ b/app.env\n@@ -0,0 +1,2 @@\n+A=1\n+B=2\n\0def456\0Dev\0dev@example.com\x002026-01-03T00:00:00+00:00\0change\n\ndiff --git a/app.env b/app.env\n--- a/app.env\n+++ b/app.env\n@@ -2 +2 @@\n-B=2\n+B=3\n@@ -5,0 +6 @@\n+C=4\ndiff --git a/gone.txt b/gone.txt\n--- a/gone.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n";
        let mut p = Patches::new();
        let mut frags: Vec<Fragment> = log.lines().filter_map(|l| p.line(l)).collect();
        frags.extend(p.finish());
        let summary: Vec<(String, String, usize, String)> = frags
            .iter()
            .map(|f| {
                (
                    f.commit.as_ref().unwrap().sha.clone(),
                    f.file.clone(),
                    f.first_line,
                    f.text.clone(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("abc123".into(), "app.env".into(), 1, "A=1\nB=2".into()),
                ("def456".into(), "app.env".into(), 2, "B=3".into()),
                ("def456".into(), "app.env".into(), 6, "C=4".into()),
            ]
        );
        assert_eq!(frags[0].commit.as_ref().unwrap().message, "add config");
    }
}

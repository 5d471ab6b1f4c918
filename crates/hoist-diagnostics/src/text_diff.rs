//! A unified diff of two texts, line by line, as `diff -u` prints it (three lines of
//! context): `terraform fmt -diff` and `hoist app diff` both show their changes this way.

/// The unified diff turning `old` into `new`, with `old_label` and `new_label` on the `---`
/// and `+++` lines; empty when equal.
pub fn unified_diff(old_label: &str, new_label: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    let ops = line_ops(&a, &b);
    let mut out = format!("--- {old_label}\n+++ {new_label}\n");
    const CONTEXT: usize = 3;
    // Indices into `ops` of changes; hunks gather changes closer than twice the context.
    let changed: Vec<usize> = (0..ops.len()).filter(|&i| ops[i].0 != ' ').collect();
    let mut i = 0;
    while i < changed.len() {
        let first = changed[i];
        let mut last = first;
        while i + 1 < changed.len() && changed[i + 1] - last <= 2 * CONTEXT {
            i += 1;
            last = changed[i];
        }
        i += 1;
        let start = first.saturating_sub(CONTEXT);
        let end = (last + CONTEXT + 1).min(ops.len());
        let (mut old_line, mut new_line) = (1, 1);
        for op in &ops[..start] {
            if op.0 != '+' {
                old_line += 1;
            }
            if op.0 != '-' {
                new_line += 1;
            }
        }
        let hunk = &ops[start..end];
        let old_count = hunk.iter().filter(|o| o.0 != '+').count();
        let new_count = hunk.iter().filter(|o| o.0 != '-').count();
        let range = |line: usize, count: usize| {
            if count == 0 {
                format!("{},0", line - 1)
            } else {
                format!("{line},{count}")
            }
        };
        out.push_str(&format!(
            "@@ -{} +{} @@\n",
            range(old_line, old_count),
            range(new_line, new_count)
        ));
        for (sign, text) in hunk {
            out.push(*sign);
            out.push_str(text);
            if !text.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

/// The lines of `a` and `b` as kept (`' '`), removed (`'-'`) and added (`'+'`), by the
/// longest common subsequence of what lies between their common start and end (files that
/// formatting changes keep most of their lines in place).
fn line_ops<'a>(a: &[&'a str], b: &[&'a str]) -> Vec<(char, &'a str)> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut ops: Vec<(char, &str)> = a[..prefix].iter().map(|l| (' ', *l)).collect();
    if ma.len() == mb.len() {
        // Same number of lines (the usual case: only blanks changed): pair them up.
        for (x, y) in ma.iter().zip(mb) {
            if x == y {
                ops.push((' ', x));
            } else {
                ops.push(('-', x));
                ops.push(('+', y));
            }
        }
    } else {
        let (n, m) = (ma.len(), mb.len());
        let mut lcs = vec![vec![0u32; m + 1]; n + 1];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i][j] = if ma[i] == mb[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && ma[i] == mb[j] {
                ops.push((' ', ma[i]));
                i += 1;
                j += 1;
            } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
                ops.push(('+', mb[j]));
                j += 1;
            } else {
                ops.push(('-', ma[i]));
                i += 1;
            }
        }
    }
    ops.extend(a[a.len() - suffix..].iter().map(|l| (' ', *l)));
    ops
}

#[cfg(test)]
mod tests {
    use super::unified_diff;

    #[test]
    fn hunks_show_changes_with_three_lines_of_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n";
        let new = "a\nB\nc\nd\ne\nf\ng\nh\ni\nJ\nk\n";
        assert_eq!(
            unified_diff("old/x.tf", "new/x.tf", old, new),
            "--- old/x.tf\n+++ new/x.tf\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n@@ -7,5 +7,5 @@\n g\n h\n i\n-j\n+J\n k\n"
        );
        assert_eq!(unified_diff("old/x.tf", "new/x.tf", old, old), "");
        assert_eq!(
            unified_diff("old/x.tf", "new/x.tf", "a\nb\n", "a\n"),
            "--- old/x.tf\n+++ new/x.tf\n@@ -1,2 +1,1 @@\n a\n-b\n"
        );
    }
}

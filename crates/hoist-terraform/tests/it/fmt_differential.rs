//! The formatter against `terraform fmt` itself (terraform 1.0.3, installed by
//! `cargo xtask setup`): every fixture, and variations of each with its blanks changed,
//! must come out byte for byte as terraform writes it. Terraform runs in the test, so the
//! expected output is always its own.

use std::path::{Path, PathBuf};
use std::process::Command;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fmt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".tf") || name.ends_with(".tfvars")
        })
        .collect();
    files.sort();
    files
}

/// Variations of a file that change only blanks between tokens (and indentation), which
/// terraform must undo the same way: no indentation at all; tabs for indentation; blanks
/// around `=` removed; blanks doubled after commas and before `=`.
fn variations(text: &str) -> Vec<(&'static str, String)> {
    let lines =
        |f: &dyn Fn(&str) -> String| -> String { text.split_inclusive('\n').map(f).collect() };
    vec![
        ("as written", text.to_owned()),
        (
            "unindented",
            lines(&|l| l.trim_start_matches([' ', '\t']).to_owned()),
        ),
        (
            "tab-indented",
            lines(&|l| {
                let body = l.trim_start_matches(' ');
                let depth = (l.len() - body.len()) / 2;
                format!("{}{body}", "\t".repeat(depth))
            }),
        ),
        ("tight", text.replace(" = ", "=")),
        (
            "loose",
            text.replace(", ", ",   ").replace(" = ", "    =  "),
        ),
    ]
}

#[test]
fn formatting_is_byte_identical_to_terraform_fmt() {
    let terraform = hoist_testbed::program("terraform");
    let work = tempfile::tempdir().unwrap();
    // Every variation of every fixture as its own file, then one `terraform fmt` over all.
    let mut cases = Vec::new();
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for (n, (what, variant)) in variations(&text).into_iter().enumerate() {
            let (stem, ext) = name.rsplit_once('.').unwrap();
            let file = work.path().join(format!("{stem}.v{n}.{ext}"));
            std::fs::write(&file, &variant).unwrap();
            cases.push((name.clone(), what, variant, file));
        }
    }
    let out = Command::new(&terraform)
        .args(["fmt", "-list=false"])
        .arg(work.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "terraform fmt failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut wrong = Vec::new();
    for (name, what, variant, file) in &cases {
        let expected = std::fs::read_to_string(file).unwrap();
        match hoist_terraform::format(variant) {
            Ok(ours) if ours == expected => {}
            Ok(ours) => wrong.push(format!(
                "{name} ({what}):\n{}",
                first_difference(&expected, &ours)
            )),
            Err(e) => wrong.push(format!("{name} ({what}): refused: {e}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases differ from terraform fmt:\n\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n\n")
    );
    assert!(cases.len() >= 1000, "the corpus has {} cases", cases.len());
}

/// The first line where `ours` differs from terraform's.
fn first_difference(expected: &str, ours: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let o: Vec<&str> = ours.lines().collect();
    for i in 0..e.len().max(o.len()) {
        let (a, b) = (e.get(i).copied(), o.get(i).copied());
        if a != b {
            return format!(
                "  line {}:\n    terraform: {:?}\n    hoist:     {:?}",
                i + 1,
                a.unwrap_or("<none>"),
                b.unwrap_or("<none>")
            );
        }
    }
    "  (only trailing bytes differ)".to_owned()
}

#[test]
fn formatting_twice_changes_nothing() {
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let once = hoist_terraform::format(&text).unwrap();
        let twice = hoist_terraform::format(&once).unwrap();
        assert_eq!(once, twice, "{}", path.display());
    }
}

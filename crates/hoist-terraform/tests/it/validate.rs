//! `validate` on modules written for it: each directory of `tests/data/validate` against its
//! `expected.txt` (`file:line:col: code: message` lines, sorted; `UPDATE_EXPECT=1`
//! rewrites them after a reviewed change).

use std::path::Path;

fn check(case: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/validate")
        .join(case);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tf"))
        .collect();
    names.sort();
    let files: Vec<hoist_terraform::ModuleFile> = names
        .iter()
        .map(|n| hoist_terraform::ModuleFile {
            path: n.clone(),
            text: std::fs::read_to_string(dir.join(n)).unwrap(),
        })
        .collect();
    let mut lines: Vec<String> = hoist_terraform::validate(&files)
        .into_iter()
        .map(|(file, d)| {
            let hint = d.hint.map(|h| format!(" ({h})")).unwrap_or_default();
            format!(
                "{}:{}:{}: {}: {}{hint}",
                files[file].path, d.span.start.line, d.span.start.column, d.code, d.message
            )
        })
        .collect();
    lines.sort();
    let actual = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    let expected_path = dir.join("expected.txt");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&expected_path, &actual).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
    assert_eq!(
        actual, expected,
        "findings of `{case}` (UPDATE_EXPECT=1 to accept)"
    );
}

#[test]
fn a_clean_module_has_no_findings() {
    check("clean");
}

#[test]
fn a_broken_module_has_each_planted_finding_on_its_line() {
    check("broken");
}

#[test]
fn loop_variables_dynamic_iterators_and_built_ins_are_not_references() {
    check("scopes");
}

#[test]
fn a_file_that_does_not_parse_is_reported_where_it_stops() {
    check("syntax");
}

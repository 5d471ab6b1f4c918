//! Parsing and checking 1,000 workflow files: the seed pipeline and the valid fixtures,
//! cycled, checked in-process (no file IO), reusable-workflow callees served from memory.
//! And one file with a long `run:` script holding an expression on every line, at two
//! sizes: checking time must grow linearly with the number of expressions.

use std::collections::HashMap;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hoist_workflow::{WorkflowSource, check_workflow, parse_workflow};

struct Memory(HashMap<String, String>);

impl WorkflowSource for Memory {
    fn read(&self, path: &str) -> Option<String> {
        let name = path.rsplit('/').next()?;
        self.0.get(name).cloned()
    }
}

fn corpus() -> (Vec<String>, Memory) {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut files = HashMap::new();
    for dir in [
        data.join("pipeline/valid/.github/workflows"),
        data.join("check"),
    ] {
        for entry in std::fs::read_dir(dir).expect("test data exists") {
            let path = entry.expect("readable entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            let is_valid = path.parent().is_some_and(|p| p.ends_with("workflows"))
                || name.starts_with("valid-");
            if is_valid && name.ends_with(".yml") {
                files.insert(name, std::fs::read_to_string(&path).expect("readable file"));
            }
        }
    }
    let mut names: Vec<&String> = files.keys().collect();
    names.sort();
    let texts: Vec<String> = (0..1000)
        .map(|i| files[names[i % names.len()]].clone())
        .collect();
    (texts, Memory(files))
}

fn bench(c: &mut Criterion) {
    let (texts, others) = corpus();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut group = c.benchmark_group("1000 workflow files");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.sample_size(20);
    group.bench_function("parse", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| parse_workflow(t).diagnostics.len())
                .sum::<usize>()
        });
    });
    group.bench_function("parse + check", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| check_workflow(t, &others).diagnostics.len())
                .sum::<usize>()
        });
    });
    group.finish();

    let mut group = c.benchmark_group("one run script, an expression per line");
    group.sample_size(20);
    for lines in [2_000, 8_000] {
        let text = long_script(lines);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(format!("{lines} lines"), |b| {
            b.iter(|| check_workflow(&text, &others).diagnostics.len());
        });
    }
    group.finish();
}

/// A workflow whose one step runs a script of `lines` lines, each with one `${{ }}`.
fn long_script(lines: usize) -> String {
    let mut text = String::from(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n",
    );
    for i in 0..lines {
        text.push_str(&format!(
            "          echo \"${{{{ github.sha }}}} line {i}\"\n"
        ));
    }
    text
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Parsing and checking 1,000 workflow files: the seed pipeline and the valid fixtures,
//! cycled, checked in-process (no file IO), reusable-workflow callees served from memory.

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
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Starts the test cluster for benchmarks and manual checks, writes its kubeconfig, and
//! keeps it running until stdin closes or the process is stopped.
//!
//! `hoist-testcluster KUBECONFIG_OUT`

#![allow(clippy::print_stderr)] // a tool's progress goes to stderr

fn main() {
    let Some(out) = std::env::args().nth(1) else {
        eprintln!("usage: hoist-testcluster KUBECONFIG_OUT");
        std::process::exit(2);
    };
    let started = std::time::Instant::now();
    let cluster = hoist_testcluster::TestCluster::start();
    if let Err(e) = std::fs::copy(&cluster.kubeconfig, &out) {
        eprintln!("cannot write `{out}`: {e}");
        std::process::exit(2);
    }
    eprintln!(
        "test cluster up in {:.1} s at {}; kubeconfig in {out}; close stdin to stop",
        started.elapsed().as_secs_f64(),
        cluster.server
    );
    // Runs until stdin is closed (the caller's pipe) or the process is killed.
    let mut sink = String::new();
    while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {
        sink.clear();
    }
    drop(cluster);
}

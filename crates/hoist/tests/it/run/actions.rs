//! Actions and the state between runs: composite and JavaScript actions, cache, artifacts, setup actions, workspaces, scoped secrets.

use super::{job, run_id, step_conclusions};
use crate::project::Project;
use crate::{stderr, stdout};

const COMPOSITE_ACTION: &str = r###"
name: Greet
inputs:
  who:
    description: whom to greet
    required: true
  punctuation:
    default: "!"
  greeting:
    default: ${{ github.event_name == 'push' && 'Hello' || 'Hi' }}
outputs:
  message:
    value: ${{ steps.say.outputs.message }}
runs:
  using: composite
  steps:
    - id: say
      shell: bash
      run: |
        msg="${{ inputs.greeting }}, ${{ inputs.who }}${{ inputs.punctuation }}"
        echo "$msg"
        echo "message=$msg" >> "$GITHUB_OUTPUT"
        echo "GREETED=${{ inputs.who }}" >> "$GITHUB_ENV"
        test -f "$GITHUB_ACTION_PATH/action.yml" && echo "action path ok"
    - uses: ./.github/actions/inner
      with:
        value: nested-${{ inputs.who }}
"###;

const INNER_ACTION: &str = r###"
name: Inner
inputs:
  value: {}
runs:
  using: composite
  steps:
    - shell: sh
      run: echo "inner got ${{ inputs.value }}"
"###;

const NODE_ACTION: &str = r###"
name: Node action
inputs:
  name:
    required: true
  times:
    default: "2"
outputs:
  shout: {}
runs:
  using: node20
  main: main.js
  post: post.js
"###;

#[test]
fn composite_and_javascript_actions() {
    let wf = r###"
on: push
jobs:
  act:
    runs-on: x
    steps:
      - uses: actions/checkout@v4
      - id: greet
        uses: ./.github/actions/greet
        with:
          who: world
      - run: echo "message=${{ steps.greet.outputs.message }} env=$GREETED"
      - id: js
        uses: ./.github/actions/node
        with:
          name: hoist
          unexpected: 1
      - run: echo "js said ${{ steps.js.outputs.shout }}"
"###;
    let p = Project::new(&[("act.yml", wf)]);
    p.write(".github/actions/greet/action.yml", COMPOSITE_ACTION);
    p.write(".github/actions/inner/action.yml", INNER_ACTION);
    p.write(".github/actions/node/action.yml", NODE_ACTION);
    p.write(
        ".github/actions/node/main.js",
        "const fs = require('fs');\nconst name = process.env.INPUT_NAME, times = Number(process.env.INPUT_TIMES);\nconst shout = name.toUpperCase().repeat(times);\nconsole.log('main ran for ' + name);\nfs.appendFileSync(process.env.GITHUB_OUTPUT, `shout=${shout}\\n`);\n",
    );
    p.write(
        ".github/actions/node/post.js",
        "console.log('post ran, workspace ' + (process.env.GITHUB_WORKSPACE ? 'set' : 'unset'));\n",
    );
    p.commit("actions");
    let out = p.hoist(&["run"]);
    crate::assert_succeeded(&out);
    let run = p.last_run();
    let log = p.log(run_id(&run));
    assert!(log.contains("Hello, world!"), "{log}");
    assert!(log.contains("action path ok"), "{log}");
    assert!(log.contains("inner got nested-world"), "{log}");
    assert!(log.contains("message=Hello, world! env=world"), "{log}");
    assert!(
        log.contains("main ran for hoist") && log.contains("js said HOISTHOIST"),
        "{log}"
    );
    assert!(log.contains("post ran, workspace set"), "{log}");
    let steps: Vec<&str> = job(&run, "act")["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps.last(),
        Some(&"Post ./.github/actions/node"),
        "{steps:?}"
    );
    assert!(
        run["annotations"]
            .to_string()
            .contains("Unexpected input(s) [\\\"unexpected\\\"]"),
        "{}",
        run["annotations"]
    );
}

#[test]
fn unsupported_actions_fail_with_a_clear_message() {
    let wf =
        "on: push\njobs:\n  d:\n    runs-on: x\n    steps:\n      - uses: docker://alpine:3.20\n";
    let p = Project::new(&[("d.yml", wf)]);
    assert_eq!(p.hoist(&["run"]).status.code(), Some(1));
    let annotations = p.last_run()["annotations"].to_string();
    assert!(
        annotations.contains("docker://alpine:3.20")
            && annotations.contains("cannot run Docker actions"),
        "{annotations}"
    );
}

#[test]
fn cache_restores_across_runs_by_key_and_prefix() {
    let wf = r###"
on: push
jobs:
  c:
    runs-on: x
    steps:
      - uses: actions/checkout@v4
      - id: cache
        uses: actions/cache@v4
        with:
          path: deps
          key: deps-${{ hashFiles('lock.txt') }}
          restore-keys: |
            deps-
      - run: |
          echo "hit=${{ steps.cache.outputs.cache-hit }} matched=${{ steps.cache.outputs.cache-matched-key }}"
          if [ -f deps/built.txt ]; then echo "restored: $(cat deps/built.txt)"; else mkdir -p deps && echo "from $(cat lock.txt)" > deps/built.txt; fi
"###;
    let p = Project::new(&[("cache.yml", wf)]);
    p.write("lock.txt", "v1");
    p.commit("lock");
    assert_eq!(p.hoist(&["run"]).status.code(), Some(0));
    let log1 = p.log(run_id(&p.last_run()));
    assert!(log1.contains("hit=false matched="), "{log1}");
    assert!(log1.contains("Cache saved with key: deps-"), "{log1}");
    assert_eq!(p.hoist(&["run"]).status.code(), Some(0));
    let log2 = p.log(run_id(&p.last_run()));
    assert!(
        log2.contains("hit=true") && log2.contains("restored: from v1"),
        "{log2}"
    );
    assert!(
        !log2.contains("Cache saved"),
        "an exact hit is not saved again: {log2}"
    );
    p.write("lock.txt", "v2");
    assert_eq!(p.hoist(&["run"]).status.code(), Some(0));
    let log3 = p.log(run_id(&p.last_run()));
    assert!(
        log3.contains("hit=false matched=deps-") && log3.contains("restored: from v1"),
        "{log3}"
    );
    assert!(log3.contains("Cache saved with key"), "{log3}");
}

#[test]
fn artifacts_pass_between_jobs_and_are_listed() {
    let wf = r###"
on: push
jobs:
  make:
    runs-on: x
    steps:
      - run: mkdir -p out/sub && echo report-a > out/a.txt && echo report-b > out/sub/b.txt && echo skip > out/c.log
      - uses: actions/upload-artifact@v4
        with:
          name: reports
          path: |
            out/**/*.txt
  use:
    needs: make
    runs-on: x
    steps:
      - uses: actions/download-artifact@v4
        with:
          name: reports
          path: got
      - run: cat got/a.txt got/sub/b.txt && test ! -e got/c.log
      - uses: actions/download-artifact@v4
        with:
          name: missing
"###;
    let p = Project::new(&[("art.yml", wf)]);
    assert_eq!(p.hoist(&["run"]).status.code(), Some(1));
    let run = p.last_run();
    let artifacts = run["artifacts"].as_array().unwrap();
    assert_eq!(artifacts.len(), 1);
    assert_eq!(artifacts[0]["name"], "reports");
    assert_eq!(artifacts[0]["size"], 18);
    assert_eq!(
        step_conclusions(&run, "use"),
        ["success", "success", "failure"]
    );
    let log = p.log(run_id(&run));
    assert!(
        log.contains("report-a") && log.contains("report-b"),
        "{log}"
    );
    assert!(
        run["annotations"]
            .to_string()
            .contains("Artifact not found for name: missing (this run has: reports)")
    );
    let view = stdout(&p.hoist(&["runs", "view", &run_id(&run).to_string()]));
    assert!(
        view.contains("ARTIFACTS") && view.contains("reports (18 bytes, from make)"),
        "{view}"
    );
}

#[test]
fn setup_actions_find_toolchains_or_say_what_is_missing() {
    let wf = r###"
on: push
jobs:
  s:
    runs-on: x
    steps:
      - id: py
        uses: actions/setup-python@v5
        with:
          python-version: '3.x'
      - id: node
        uses: actions/setup-node@v4
        with:
          node-version: '>=18'
      - run: echo "python ${{ steps.py.outputs.python-version }} node ${{ steps.node.outputs.node-version }}"
      - uses: actions/setup-go@v5
        with:
          go-version: '0.99'
"###;
    let p = Project::new(&[("setup.yml", wf)]);
    assert_eq!(p.hoist(&["run"]).status.code(), Some(1));
    let run = p.last_run();
    assert_eq!(
        step_conclusions(&run, "s"),
        ["success", "success", "success", "failure"]
    );
    let log = p.log(run_id(&run));
    assert!(log.contains("python 3.") && log.contains("node "), "{log}");
    assert!(
        run["annotations"]
            .to_string()
            .contains("no go matching `0.99` on this machine"),
        "{}",
        run["annotations"]
    );
}

#[test]
fn setup_actions_find_pyenv_and_nvm_installs_by_version_spec() {
    // A home directory with toolchains as pyenv and nvm lay them out; each "toolchain" is a
    // script that prints its version.
    let home = tempfile::tempdir().unwrap();
    let fake = |rel: &str, says: &str| {
        let path = home.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("#!/bin/sh\necho '{says}'\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    fake(".pyenv/versions/3.8.19/bin/python3", "Python 3.8.19");
    fake(".pyenv/versions/3.8.20/bin/python3", "Python 3.8.20");
    fake(".pyenv/versions/3.7.17/bin/python3", "Python 3.7.17");
    fake(".nvm/versions/node/v16.20.2/bin/node", "v16.20.2");
    fake(".nvm/versions/node/v17.9.1/bin/node", "v17.9.1");
    let wf = r###"
on: push
jobs:
  s:
    runs-on: x
    steps:
      - uses: actions/checkout@v4
      - id: py
        uses: actions/setup-python@v5
        with:
          python-version: '>=3.8 <3.9'
      - run: python3 --version
      - id: file
        uses: actions/setup-python@v5
      - id: node
        uses: actions/setup-node@v4
        with:
          node-version: lts/gallium
      - run: node --version
      - id: nvmrc
        uses: actions/setup-node@v4
        with:
          node-version-file: .nvmrc
      - run: echo "py=${{ steps.py.outputs.python-version }} file=${{ steps.file.outputs.python-version }} node=${{ steps.node.outputs.node-version }} nvmrc=${{ steps.nvmrc.outputs.node-version }}"
      - uses: actions/setup-python@v5
        with:
          python-version: '3.7.1'
"###;
    let p = Project::new(&[("setup.yml", wf)]);
    // setup-python reads .python-version when no version is given; .nvmrc names a version.
    p.write(".python-version", "3.7\n");
    p.write(".nvmrc", "v17\n");
    p.commit("versions");
    let out = p
        .command(&["run"])
        .env("HOME", home.path())
        .env_remove("PYENV_ROOT")
        .env_remove("NVM_DIR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let run = p.last_run();
    let log = p.log(run_id(&run));
    assert!(
        log.contains("Python 3.8.20"),
        "the highest matching version: {log}"
    );
    assert!(log.contains("v16.20.2"), "{log}");
    assert!(
        log.contains("py=3.8.20 file=3.7.17 node=16.20.2 nvmrc=17.9.1"),
        "{log}"
    );
    // Nothing matches: the error lists what was found.
    let annotations = run["annotations"].to_string();
    assert!(
        annotations.contains("no python matching `3.7.1` on this machine"),
        "{annotations}"
    );
    assert!(
        annotations.contains("3.8.20 at ")
            && annotations.contains(".pyenv/versions/3.7.17/bin/python3"),
        "{annotations}"
    );
}

#[test]
fn workspaces_persist_between_runs_and_checkout_brings_them_up_to_date() {
    let wf = r###"
on: push
jobs:
  ws:
    runs-on: x
    steps:
      - uses: actions/checkout@v4
      - run: |
          echo "junk: $(test -e junk.txt && echo present || echo absent)"
          echo "old: $(test -e old.txt && echo present || echo absent)"
          echo "data: $(cat data.txt)"
          touch junk.txt
          echo "tmp: $(ls "$RUNNER_TEMP" | grep -c leftover || true)"
          touch "$RUNNER_TEMP/leftover"
"###;
    let p = Project::new(&[("ws.yml", wf)]);
    p.write("old.txt", "x");
    p.write("data.txt", "one");
    p.commit("files");
    assert_eq!(p.hoist(&["run"]).status.code(), Some(0));
    let log1 = p.log(run_id(&p.last_run()));
    assert!(
        log1.contains("junk: absent")
            && log1.contains("old: present")
            && log1.contains("data: one"),
        "{log1}"
    );
    std::fs::remove_file(p.root().join("old.txt")).unwrap();
    p.write("data.txt", "two");
    assert_eq!(p.hoist(&["run"]).status.code(), Some(0));
    let log2 = p.log(run_id(&p.last_run()));
    assert!(
        log2.contains("junk: absent"),
        "checkout removes files the last run left: {log2}"
    );
    assert!(
        log2.contains("old: absent") && log2.contains("data: two"),
        "{log2}"
    );
    assert!(log2.contains("tmp: 0"), "RUNNER_TEMP starts empty: {log2}");
}

#[test]
fn environment_scoped_secrets_and_vars() {
    let wf = r###"
on: push
jobs:
  plain:
    runs-on: x
    steps:
      - run: echo "plain region=${{ vars.REGION }} token=[${{ secrets.DEPLOY_TOKEN }}]"
  deploy:
    runs-on: x
    environment:
      name: production
      url: https://example.com
    steps:
      - run: echo "deploy region=${{ vars.REGION }} token=${{ secrets.DEPLOY_TOKEN }} shared=${{ secrets.SHARED }}"
"###;
    let p = Project::new(&[("env.yml", wf)]);
    p.write("hoist.toml", "[vars]\nREGION = \"us\"\n[environments.production]\nsecrets-file = \"prod.secrets\"\nvars = { REGION = \"eu\" }\n");
    p.write(
        "prod.secrets",
        "# production only\nDEPLOY_TOKEN=\"prod-token-123\"\n",
    );
    let out = p.hoist(&["run", "--secret", "SHARED=shared-value-9"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = p.log(run_id(&p.last_run()));
    assert!(log.contains("plain region=us token=[]"), "{log}");
    assert!(
        log.contains("deploy region=eu token=*** shared=***"),
        "{log}"
    );
}

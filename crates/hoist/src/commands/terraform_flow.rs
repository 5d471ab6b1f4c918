//! `hoist terraform plan | approve | apply | unlock | status`: the flow around the user's
//! terraform that the seed's `infra-terraform.yml` needs, with its records in Hoist's object
//! storage (see `hoist_terraform::flow`).
//!
//! Guarantees: an environment is planned and applied by one pipeline at a time (the lock is
//! a create-only object, and an apply claims the plan the same way); `apply` runs only the
//! plan that was saved, byte for byte (SHA-256), only on the state it was made from (serial
//! and lineage), and only approved where approval is required; every step is written to
//! `terraform/audit/`. A failure after the lock was taken releases it and says so; a
//! failed apply says that the state may have changed in part.

use std::path::PathBuf;
use std::process::{Command, Output};

use anyhow::{Context, bail};
use hoist_storage::Storage;
use hoist_terraform::flow::{Approval, Lock, PlanRecord, PlanSummary, state_version};
use sha2::Digest;

use crate::cli::{TerraformApplyArgs, TerraformCommand, TerraformFlowArgs};
use crate::commands::Outcome;
use crate::config::Config;
use crate::output;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Who acts: `$HOIST_ACTOR`, `$GITHUB_ACTOR` or `$USER`, at this host.
fn actor() -> String {
    let user = ["HOIST_ACTOR", "GITHUB_ACTOR", "USER"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "someone".to_owned());
    let host = nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{user}@{host}")
}

fn key(env: &str, name: &str) -> String {
    format!("terraform/{env}/{name}")
}

fn check_env(env: &str) -> anyhow::Result<()> {
    if env.is_empty()
        || !env
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
    {
        bail!("`--env {env}`: an environment's name is letters, digits, `-` and `_`");
    }
    Ok(())
}

fn read_json<T: serde::de::DeserializeOwned>(
    storage: &Storage,
    key: &str,
) -> anyhow::Result<Option<T>> {
    match storage.get(key) {
        Ok(bytes) => Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
            format!("`{}` is not a record Hoist wrote", storage.object_url(key))
        })?)),
        Err(hoist_storage::StorageError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn audit(
    storage: &Storage,
    env: &str,
    action: &str,
    detail: serde_json::Value,
) -> anyhow::Result<()> {
    let record = serde_json::json!({
        "at": now(),
        "environment": env,
        "action": action,
        "by": actor(),
        "detail": detail,
    });
    let key = format!(
        "terraform/audit/{}-{env}-{action}-{}.json",
        now(),
        std::process::id()
    );
    storage.put(&key, serde_json::to_vec_pretty(&record)?)?;
    Ok(())
}

pub(crate) fn run(command: &TerraformCommand) -> anyhow::Result<Outcome> {
    let cwd = std::env::current_dir().context("cannot determine the current directory")?;
    let project = crate::project::find_project(&cwd).ok();
    let (config, _) = Config::load(None, project.as_deref().or(Some(&cwd)))?;
    let storage = Storage::open(&config.storage_settings())?;
    match command {
        TerraformCommand::Plan(args) => plan(&storage, args),
        TerraformCommand::Apply(args) => apply(&storage, &config, args),
        TerraformCommand::Approve { env, comment } => approve(&storage, env, comment.as_deref()),
        TerraformCommand::Unlock { env, reason } => unlock(&storage, env, reason),
        TerraformCommand::Status { env, json } => status(&storage, env, *json),
    }
}

/// Runs terraform in the configuration's directory, with a data directory of its own.
struct Terraform<'a> {
    program: PathBuf,
    args: &'a TerraformFlowArgs,
    data: tempfile::TempDir,
}

impl<'a> Terraform<'a> {
    fn new(args: &'a TerraformFlowArgs) -> anyhow::Result<Self> {
        if !args.dir.is_dir() {
            bail!(
                "no configuration directory `{}`; give it with `--dir`",
                args.dir.display()
            );
        }
        Ok(Self {
            program: args
                .terraform
                .clone()
                .unwrap_or_else(|| PathBuf::from("terraform")),
            args,
            data: tempfile::tempdir().context("cannot create terraform's data directory")?,
        })
    }

    fn run(&self, args: &[String]) -> anyhow::Result<Output> {
        Command::new(&self.program)
            .arg(format!("-chdir={}", self.args.dir.display()))
            .args(args)
            .env("TF_DATA_DIR", self.data.path())
            .env("TF_IN_AUTOMATION", "1")
            .output()
            .with_context(|| {
                format!(
                    "cannot run `{}` (give it with `--terraform PATH`)",
                    self.program.display()
                )
            })
    }

    /// Runs and requires success; its output is shown either way.
    fn must(&self, what: &str, args: &[String]) -> anyhow::Result<Output> {
        let out = self.run(args)?;
        output::stderr(&String::from_utf8_lossy(&out.stderr));
        if !out.status.success() {
            output::stdout(&String::from_utf8_lossy(&out.stdout));
            bail!(
                "`terraform {what}` failed in `{}` ({})",
                self.args.dir.display(),
                out.status
            );
        }
        Ok(out)
    }

    fn init(&self) -> anyhow::Result<()> {
        let mut args = vec![
            "init".to_owned(),
            "-input=false".to_owned(),
            "-reconfigure".to_owned(),
            "-no-color".to_owned(),
        ];
        let has_key = self
            .args
            .backend_config
            .iter()
            .any(|c| c.starts_with("key="));
        if !has_key && self.has_s3_backend() {
            args.push(format!(
                "-backend-config=key={}/terraform.tfstate",
                self.args.env
            ));
        }
        for c in &self.args.backend_config {
            args.push(format!("-backend-config={c}"));
        }
        self.must("init", &args).map(|_| ())
    }

    fn has_s3_backend(&self) -> bool {
        std::fs::read_dir(&self.args.dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "tf"))
            .any(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("backend \"s3\"")))
    }

    fn state(&self) -> anyhow::Result<(u64, String)> {
        let out = self.must("state pull", &["state".to_owned(), "pull".to_owned()])?;
        Ok(state_version(&String::from_utf8_lossy(&out.stdout)))
    }

    fn var_file(&self) -> Option<PathBuf> {
        match &self.args.var_file {
            Some(f) => Some(f.clone()),
            None => {
                let default =
                    PathBuf::from("environments").join(format!("{}.tfvars", self.args.env));
                self.args.dir.join(&default).is_file().then_some(default)
            }
        }
    }
}

fn plan(storage: &Storage, args: &TerraformFlowArgs) -> anyhow::Result<Outcome> {
    let env = &args.env;
    check_env(env)?;
    let tf = Terraform::new(args)?;
    let id = format!("{env}-{}-{}", now(), token());
    let lock = Lock {
        environment: env.clone(),
        holder: actor(),
        plan_id: id.clone(),
        since: now(),
    };
    if !storage.claim(
        &key(env, "lock.json"),
        serde_json::to_vec_pretty(&lock)?,
        SETTLE,
    )? {
        let held: Option<Lock> = read_json(storage, &key(env, "lock.json"))?;
        let (who, since) = held.map_or(("someone".to_owned(), 0), |l| (l.holder, l.since));
        bail!(
            "`{env}` is locked by {who} since {} (a plan waiting for its apply, or a pipeline that died); apply that plan, or `hoist terraform unlock --env {env} --reason …`",
            jiff::Timestamp::from_second(since as i64)
                .map_or_else(|_| since.to_string(), |t| t.to_string())
        );
    }
    // From here on the lock is ours: any failure gives it back.
    let result = (|| -> anyhow::Result<PlanRecord> {
        tf.init()?;
        let plan_file = tf.data.path().join("plan.tfplan");
        let mut plan_args = vec![
            "plan".to_owned(),
            "-input=false".to_owned(),
            "-lock=false".to_owned(),
            "-no-color".to_owned(),
            format!("-out={}", plan_file.display()),
        ];
        if let Some(vars) = tf.var_file() {
            plan_args.push(format!("-var-file={}", vars.display()));
        }
        let planned = tf.must("plan", &plan_args)?;
        output::stdout(&String::from_utf8_lossy(&planned.stdout));
        let shown = tf.must(
            "show",
            &[
                "show".to_owned(),
                "-json".to_owned(),
                plan_file.display().to_string(),
            ],
        )?;
        let json: serde_json::Value = serde_json::from_slice(&shown.stdout)
            .context("`terraform show -json` printed no JSON")?;
        let (serial, lineage) = tf.state()?;
        let bytes = std::fs::read(&plan_file).context("terraform wrote no plan file")?;
        let record = PlanRecord {
            id: id.clone(),
            environment: env.clone(),
            sha256: hex(&sha2::Sha256::digest(&bytes)),
            state_serial: serial,
            state_lineage: lineage,
            summary: PlanSummary::from_show_json(&json),
            by: actor(),
            at: now(),
        };
        storage.put(&key(env, "plan.tfplan"), bytes)?;
        storage.put(&key(env, "plan.json"), serde_json::to_vec_pretty(&record)?)?;
        let _ = storage.delete(&key(env, "approval.json"));
        Ok(record)
    })();
    let record = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = storage.delete(&key(env, "lock.json"));
            return Err(e.context(format!("the plan of `{env}` failed; its lock is released")));
        }
    };
    audit(
        storage,
        env,
        "plan",
        serde_json::json!({"plan": record.id, "summary": record.summary.line()}),
    )?;
    let markdown = record.summary.markdown(env, &record.id);
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
        {
            let _ = f.write_all(markdown.as_bytes());
        }
    }
    let destroyed = record.summary.destroyed();
    if !destroyed.is_empty() {
        output::stderr(&format!(
            "warning: this plan destroys {}: {}\n",
            destroyed.len(),
            destroyed.join(", ")
        ));
    }
    output::stdout(&format!(
        "plan `{}` of `{env}` saved (SHA-256 {}): {}\n`{env}` stays locked until `hoist terraform apply --env {env}` (or unlock)\n",
        record.id,
        record.sha256,
        record.summary.line()
    ));
    Ok(Outcome::Success)
}

/// How long a claim waits before it reads itself back (see `Storage::claim`).
const SETTLE: std::time::Duration = std::time::Duration::from_millis(300);

/// Unique to this process and moment.
fn token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{}-{nanos}", std::process::id())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn apply(
    storage: &Storage,
    config: &Config,
    apply_args: &TerraformApplyArgs,
) -> anyhow::Result<Outcome> {
    let args = &apply_args.flow;
    let env = &args.env;
    check_env(env)?;
    let Some(record) = read_json::<PlanRecord>(storage, &key(env, "plan.json"))? else {
        bail!("`{env}` has no saved plan; run `hoist terraform plan --env {env}` first");
    };
    let Some(lock) = read_json::<Lock>(storage, &key(env, "lock.json"))? else {
        bail!(
            "the plan `{}` of `{env}` lost its lock (unlocked meanwhile); plan again",
            record.id
        );
    };
    if lock.plan_id != record.id {
        bail!(
            "`{env}` is locked for plan `{}`, not the saved `{}`; plan again",
            lock.plan_id,
            record.id
        );
    }
    if config.terraform.approval.iter().any(|e| e == env) {
        if let Some(sum) = &apply_args.approve_plan {
            if !sum.eq_ignore_ascii_case(&record.sha256) {
                bail!(
                    "`--approve-plan {sum}` is not the saved plan of `{env}` (its SHA-256 is {}); the approval is for another plan",
                    record.sha256
                );
            }
            record_approval(storage, env, &record, Some("--approve-plan"))?;
        }
        let approval: Option<Approval> = read_json(storage, &key(env, "approval.json"))?;
        match approval {
            // Bound to the plan's bytes: an approval of other bytes approves nothing.
            Some(a) if a.plan_id == record.id && a.sha256 == record.sha256 => {
                output::stderr(&format!("plan `{}` approved by {}\n", record.id, a.by));
            }
            _ => {
                output::stderr(&format!("{}\n", record.summary.line()));
                bail!(
                    "`{env}` needs an approval of plan `{}` (SHA-256 {}) before it is applied: `hoist terraform approve --env {env}`, or `--approve-plan {}`",
                    record.id,
                    record.sha256,
                    record.sha256
                );
            }
        }
    }
    // One apply per plan: the second of two at once stops here.
    let claim =
        serde_json::json!({"plan": record.id, "by": actor(), "at": now(), "token": token()});
    if !storage.claim(
        &key(env, "applying.json"),
        serde_json::to_vec(&claim)?,
        SETTLE,
    )? {
        bail!(
            "plan `{}` of `{env}` is being applied by another pipeline",
            record.id
        );
    }
    let outcome = apply_claimed(storage, args, &record);
    let _ = storage.delete(&key(env, "applying.json"));
    outcome
}

fn apply_claimed(
    storage: &Storage,
    args: &TerraformFlowArgs,
    record: &PlanRecord,
) -> anyhow::Result<Outcome> {
    let env = &args.env;
    let bytes = storage.get(&key(env, "plan.tfplan"))?;
    let sum = hex(&sha2::Sha256::digest(&bytes));
    if sum != record.sha256 {
        audit(
            storage,
            env,
            "apply-refused",
            serde_json::json!({"plan": record.id, "reason": "altered"}),
        )?;
        bail!(
            "the saved plan of `{env}` is not the one planned (SHA-256 {sum}, planned {}); refused. Plan again",
            record.sha256
        );
    }
    let tf = Terraform::new(args)?;
    tf.init()?;
    let (serial, lineage) = tf.state()?;
    if (serial, lineage.as_str()) != (record.state_serial, record.state_lineage.as_str()) {
        let _ = storage.delete(&key(env, "lock.json"));
        audit(
            storage,
            env,
            "apply-refused",
            serde_json::json!({"plan": record.id, "reason": "stale"}),
        )?;
        output::stderr(&format!(
            "error: the plan `{}` of `{env}` is stale: the state moved from serial {} ({}) to serial {serial} ({}) since it was made; its lock is released, plan again\n",
            record.id,
            record.state_serial,
            if record.state_lineage.is_empty() {
                "no state"
            } else {
                &record.state_lineage
            },
            if lineage.is_empty() {
                "no state"
            } else {
                &lineage
            },
        ));
        return Ok(Outcome::Failure);
    }
    let plan_file = tf.data.path().join("plan.tfplan");
    std::fs::write(&plan_file, &bytes)?;
    let applied = tf.run(&[
        "apply".to_owned(),
        "-input=false".to_owned(),
        "-lock=false".to_owned(),
        "-no-color".to_owned(),
        plan_file.display().to_string(),
    ])?;
    output::stdout(&String::from_utf8_lossy(&applied.stdout));
    output::stderr(&String::from_utf8_lossy(&applied.stderr));
    // Applied or not, this plan is spent: the state may have moved.
    let _ = storage.delete(&key(env, "lock.json"));
    let _ = storage.delete(&key(env, "approval.json"));
    let _ = storage.delete(&key(env, "plan.tfplan"));
    let _ = storage.delete(&key(env, "plan.json"));
    if !applied.status.success() {
        audit(
            storage,
            env,
            "apply-failed",
            serde_json::json!({"plan": record.id}),
        )?;
        output::stderr(&format!(
            "error: `terraform apply` of plan `{}` failed in `{env}`; part of it may be applied (see the output above). `{env}` is unlocked: plan again to see where it stands\n",
            record.id
        ));
        return Ok(Outcome::Failure);
    }
    audit(
        storage,
        env,
        "apply",
        serde_json::json!({"plan": record.id, "summary": record.summary.line()}),
    )?;
    output::stdout(&format!(
        "plan `{}` applied to `{env}`; `{env}` is unlocked\n",
        record.id
    ));
    Ok(Outcome::Success)
}

fn approve(storage: &Storage, env: &str, comment: Option<&str>) -> anyhow::Result<Outcome> {
    check_env(env)?;
    let Some(record) = read_json::<PlanRecord>(storage, &key(env, "plan.json"))? else {
        bail!("`{env}` has no saved plan to approve");
    };
    record_approval(storage, env, &record, comment)?;
    output::stdout(&format!(
        "plan `{}` of `{env}` (SHA-256 {}) approved: {}\n",
        record.id,
        record.sha256,
        record.summary.line()
    ));
    Ok(Outcome::Success)
}

fn record_approval(
    storage: &Storage,
    env: &str,
    record: &PlanRecord,
    comment: Option<&str>,
) -> anyhow::Result<()> {
    let approval = Approval {
        plan_id: record.id.clone(),
        sha256: record.sha256.clone(),
        by: actor(),
        comment: comment.map(str::to_owned),
        at: now(),
    };
    storage.put(
        &key(env, "approval.json"),
        serde_json::to_vec_pretty(&approval)?,
    )?;
    audit(
        storage,
        env,
        "approve",
        serde_json::json!({"plan": record.id, "sha256": record.sha256, "comment": comment}),
    )
}

fn unlock(storage: &Storage, env: &str, reason: &str) -> anyhow::Result<Outcome> {
    check_env(env)?;
    let held: Option<Lock> = read_json(storage, &key(env, "lock.json"))?;
    let Some(held) = held else {
        output::stderr(&format!("`{env}` is not locked\n"));
        return Ok(Outcome::Success);
    };
    for name in ["lock.json", "plan.json", "plan.tfplan", "approval.json"] {
        let _ = storage.delete(&key(env, name));
    }
    audit(
        storage,
        env,
        "unlock",
        serde_json::json!({"reason": reason, "was_held_by": held.holder, "plan": held.plan_id}),
    )?;
    output::stdout(&format!(
        "`{env}` unlocked (it was held by {} for plan `{}`)\n",
        held.holder, held.plan_id
    ));
    Ok(Outcome::Success)
}

fn status(storage: &Storage, env: &str, json: bool) -> anyhow::Result<Outcome> {
    check_env(env)?;
    let lock: Option<Lock> = read_json(storage, &key(env, "lock.json"))?;
    let plan: Option<PlanRecord> = read_json(storage, &key(env, "plan.json"))?;
    let approval: Option<Approval> = read_json(storage, &key(env, "approval.json"))?;
    if json {
        output::stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(
                &serde_json::json!({"lock": lock, "plan": plan, "approval": approval})
            )?
        ));
        return Ok(Outcome::Success);
    }
    match &lock {
        Some(l) => output::stdout(&format!(
            "locked by {} for plan `{}`\n",
            l.holder, l.plan_id
        )),
        None => output::stdout("not locked\n"),
    }
    if let Some(p) = &plan {
        output::stdout(&format!(
            "saved plan `{}` by {}: {}\n",
            p.id,
            p.by,
            p.summary.line()
        ));
    }
    if let Some(a) = &approval {
        output::stdout(&format!("approved by {}\n", a.by));
    }
    Ok(Outcome::Success)
}

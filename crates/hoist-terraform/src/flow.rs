//! The records of the plan → approve → apply flow (`hoist terraform`), kept in object
//! storage under `terraform/<environment>/`, and what a plan changes, read from
//! `terraform show -json`. Pure: the binary runs terraform and moves the bytes.
//!
//! - `lock.json` ([`Lock`]): written create-only when a plan starts and deleted when its
//!   apply ends (or by `hoist terraform unlock`), so two pipelines never plan or apply one
//!   environment at once.
//! - `plan.tfplan` and `plan.json` ([`PlanRecord`]): the saved plan, its SHA-256, and the
//!   state it was made from (serial and lineage), so that `apply` refuses a plan that was
//!   altered or that the state has moved past.
//! - `approval.json` ([`Approval`]): who approved which plan, for environments that need it.

use serde::{Deserialize, Serialize};

/// Who holds an environment, since when, for what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    pub environment: String,
    /// `user@host`.
    pub holder: String,
    /// The plan it was taken for.
    pub plan_id: String,
    /// Seconds since the Unix epoch.
    pub since: u64,
}

/// A saved plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRecord {
    pub id: String,
    pub environment: String,
    pub sha256: String,
    /// The state the plan was made from; `0` and `""` for no state yet.
    pub state_serial: u64,
    pub state_lineage: String,
    pub summary: PlanSummary,
    pub by: String,
    pub at: u64,
}

/// An approval of one plan, bound to its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub plan_id: String,
    /// The SHA-256 of the plan approved: a plan with other bytes is not approved.
    pub sha256: String,
    pub by: String,
    pub comment: Option<String>,
    pub at: u64,
}

/// What a plan does, as `terraform plan` counts it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    /// Of the adds and destroys, the resources destroyed and created again.
    #[serde(default)]
    pub replace: usize,
    /// Outputs that change.
    pub outputs: usize,
    /// `address: action` of each resource that changes.
    pub resources: Vec<(String, String)>,
}

impl PlanSummary {
    /// Reads `terraform show -json PLAN`. A replacement counts as one add and one destroy,
    /// as terraform's own summary line counts it.
    pub fn from_show_json(plan: &serde_json::Value) -> Self {
        let mut s = PlanSummary::default();
        for rc in plan["resource_changes"].as_array().into_iter().flatten() {
            let actions: Vec<&str> = rc["change"]["actions"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a.as_str())
                .collect();
            let action = match actions.as_slice() {
                ["create"] => {
                    s.add += 1;
                    "create"
                }
                ["update"] => {
                    s.change += 1;
                    "update"
                }
                ["delete"] => {
                    s.destroy += 1;
                    "delete"
                }
                [_, _] => {
                    s.add += 1;
                    s.destroy += 1;
                    s.replace += 1;
                    "replace"
                }
                _ => continue,
            };
            s.resources.push((
                rc["address"].as_str().unwrap_or_default().to_owned(),
                action.to_owned(),
            ));
        }
        if let Some(outputs) = plan["output_changes"].as_object() {
            s.outputs = outputs
                .values()
                .filter(|o| {
                    o["actions"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|x| x != "no-op"))
                })
                .count();
        }
        s
    }

    /// `Plan: 1 to add, 0 to change, 0 to destroy.`, as terraform words it.
    pub fn line(&self) -> String {
        let replaced = if self.replace > 0 {
            format!(" ({} replaced)", self.replace)
        } else {
            String::new()
        };
        format!(
            "Plan: {} to add, {} to change, {} to destroy{replaced}; {} output(s) change.",
            self.add, self.change, self.destroy, self.outputs
        )
    }

    /// The resources the plan destroys (alone or to replace them).
    pub fn destroyed(&self) -> Vec<&str> {
        self.resources
            .iter()
            .filter(|(_, a)| a == "delete" || a == "replace")
            .map(|(r, _)| r.as_str())
            .collect()
    }

    /// A Markdown summary for the job's step summary.
    pub fn markdown(&self, environment: &str, plan_id: &str) -> String {
        let mut out = format!(
            "### Terraform plan for `{environment}` (`{plan_id}`)\n\n{}\n",
            self.line()
        );
        let destroyed = self.destroyed();
        if !destroyed.is_empty() {
            out.push_str(&format!(
                "\n> [!WARNING]\n> This plan **destroys** {}: {}\n",
                destroyed.len(),
                destroyed
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !self.resources.is_empty() {
            out.push_str("\n| resource | action |\n|---|---|\n");
            for (address, action) in &self.resources {
                let shown = if action == "delete" || action == "replace" {
                    format!("**{action}**")
                } else {
                    action.clone()
                };
                out.push_str(&format!("| `{address}` | {shown} |\n"));
            }
        }
        out
    }
}

/// `serial` and `lineage` of `terraform state pull`'s output (empty: no state yet).
pub fn state_version(pulled: &str) -> (u64, String) {
    let Ok(state) = serde_json::from_str::<serde_json::Value>(pulled) else {
        return (0, String::new());
    };
    (
        state["serial"].as_u64().unwrap_or(0),
        state["lineage"].as_str().unwrap_or_default().to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::{PlanSummary, state_version};

    #[test]
    fn a_plan_is_summed_up_as_terraform_counts_it() {
        let plan = serde_json::json!({
            "resource_changes": [
                {"address": "a.x", "change": {"actions": ["create"]}},
                {"address": "a.y", "change": {"actions": ["delete", "create"]}},
                {"address": "a.z", "change": {"actions": ["no-op"]}},
                {"address": "a.w", "change": {"actions": ["update"]}},
            ],
            "output_changes": {"o": {"actions": ["create"]}, "p": {"actions": ["no-op"]}},
        });
        let s = PlanSummary::from_show_json(&plan);
        assert_eq!(
            (s.add, s.change, s.destroy, s.replace, s.outputs),
            (2, 1, 1, 1, 1)
        );
        assert_eq!(s.resources.len(), 3);
        assert_eq!(s.destroyed(), ["a.y"]);
        let md = s.markdown("staging", "p1");
        assert!(md.contains("| `a.y` | **replace** |"), "{md}");
        assert!(md.contains("This plan **destroys** 1: `a.y`"), "{md}");
        assert!(s.line().contains("1 to destroy (1 replaced)"));
        assert_eq!(state_version(""), (0, String::new()));
        assert_eq!(
            state_version(r#"{"serial": 4, "lineage": "abc"}"#),
            (4, "abc".to_owned())
        );
    }
}

//! The bundled example's Terraform: its workflow runs the gate and passes; a copy with
//! planted layout, module and security problems fails, each reported on its line.

use std::process::Command;

use crate::project::Project;
use crate::{stderr, stdout};

fn example() -> Project {
    let p = Project::new(&[]);
    let example = crate::workspace_root().join("examples/platform");
    let status = Command::new("cp")
        .arg("-r")
        .arg(format!("{}/.", example.display()))
        .arg(p.root())
        .status()
        .unwrap();
    assert!(status.success());
    p.commit("example");
    p
}

#[test]
fn the_example_s_terraform_passes_its_gate_and_a_broken_copy_fails_on_each_planted_line() {
    let p = example();
    let out = p.hoist(&["run", "--workflow", "infra-terraform.yml"]);
    crate::assert_succeeded(&out);

    // Planted: a misaligned attribute (layout), a misspelt variable (validate), a public
    // bucket (security).
    let edit = |path: &str, from: &str, to: &str| {
        let file = p.root().join(path);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(from), "{path} has `{from}`");
        std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
    };
    edit(
        "infra/terraform/main.tf",
        "  region      = var.region\n",
        "  region = var.region\n",
    );
    edit(
        "infra/terraform/main.tf",
        "node_count  = var.node_count",
        "node_count  = var.node_cuont",
    );
    edit(
        "infra/terraform/modules/storage/main.tf",
        "  acl     = \"private\"",
        "  acl     = \"public-read\"",
    );
    p.commit("broken");
    let out = p.hoist(&["run", "--workflow", "infra-terraform.yml"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );

    let out = Command::new(env!("CARGO_BIN_EXE_hoist"))
        .args(["check", "terraform", "infra/terraform"])
        .current_dir(p.root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    for (at, code) in [
        ("infra/terraform/main.tf:9:1:", "[terraform-fmt]"),
        ("infra/terraform/main.tf:10:17:", "[undeclared-reference]"),
        (
            "infra/terraform/modules/storage/main.tf:27:3:",
            "[linode-object-storage-public]",
        ),
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(at) && l.ends_with(code)),
            "`{at}` … `{code}` in:\n{text}"
        );
    }
    assert!(text.contains("did you mean `node_count`?"), "{text}");
}

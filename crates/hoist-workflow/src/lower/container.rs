//! `container:` and `services:`: the images a job runs in or beside.

use hoist_yaml::{Node, NodeKind};

use super::*;

impl Lowerer<'_> {
    pub(super) fn container(
        &mut self,
        node: &Node,
        what: &str,
        job: &str,
        service: bool,
    ) -> Option<Container> {
        let j = Some(job);
        let (loc, cred_loc, env_loc) = if service {
            (
                Location::JobServices,
                Location::JobServiceCredentials,
                Location::JobServiceEnv,
            )
        } else {
            (
                Location::JobContainer,
                Location::JobContainerCredentials,
                Location::JobContainerEnv,
            )
        };
        if let NodeKind::Scalar(_) = node.kind {
            self.site(node, loc, j, None);
            let image = self.string(node, what)?;
            return Some(Container::of_image(Some(image), node.span));
        }
        let pairs = self.mapping(node, what)?;
        let keys = if service {
            SERVICE_KEYS
        } else {
            CONTAINER_KEYS
        };
        self.check_keys(pairs, keys, what);
        for key in ["entrypoint", "command"] {
            if let Some(v) = node.get(key).filter(|_| service) {
                self.string(v, &format!("`{key}`"));
            }
        }
        let mut c = Container::of_image(None, node.span);
        for (k, v) in pairs {
            match k.as_str().unwrap_or_default() {
                "image" => {
                    self.site(v, loc, j, None);
                    c.image = self.string(v, "`image`");
                }
                "credentials" => {
                    if let Some(cp) = self.mapping(v, "`credentials`") {
                        self.check_keys(cp, &["username", "password"], "`credentials`");
                    }
                    self.site(v, cred_loc, j, None);
                    c.credentials = Some(v.clone());
                }
                "env" => c.env = self.env(v, "`env`", env_loc, j, None),
                "ports" => {
                    self.site(v, loc, j, None);
                    c.ports = self.string_sequence(v, "`ports`").unwrap_or_default();
                }
                "volumes" => {
                    self.site(v, loc, j, None);
                    c.volumes = self.string_sequence(v, "`volumes`").unwrap_or_default();
                }
                "options" => {
                    self.site(v, loc, j, None);
                    c.options = self.string(v, "`options`");
                }
                _ => {}
            }
        }
        if c.image.is_none() && !service {
            self.error(
                "missing-key",
                node.span,
                format!("{what} needs an `image`"),
                None,
            );
        }
        if c.image.is_none() && service {
            self.error(
                "missing-key",
                node.span,
                format!("{what} needs an `image`"),
                None,
            );
        }
        Some(c)
    }
}

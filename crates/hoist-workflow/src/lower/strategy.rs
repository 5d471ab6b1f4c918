//! `strategy:`: the matrix, `fail-fast` and `max-parallel`.

use hoist_yaml::Node;
use indexmap::IndexMap;

use super::*;

impl Lowerer<'_> {
    pub(super) fn strategy(&mut self, node: &Node, job: &str) -> Option<Strategy> {
        let j = Some(job);
        if is_expression(node) {
            self.site(node, Location::JobStrategy, j, None);
            return Some(Strategy {
                matrix: Some(Matrix::Expression(Spanned::new(
                    node.as_str().unwrap_or_default().to_owned(),
                    node.span,
                ))),
                fail_fast: None,
                max_parallel: None,
            });
        }
        let pairs = self.mapping(node, "`strategy`")?;
        self.check_keys(pairs, STRATEGY_KEYS, "`strategy`");
        let mut s = Strategy {
            matrix: None,
            fail_fast: None,
            max_parallel: None,
        };
        for (k, v) in pairs {
            match k.as_str().unwrap_or_default() {
                "matrix" => {
                    self.site(v, Location::JobStrategy, j, None);
                    s.matrix = self.matrix(v);
                }
                "fail-fast" => {
                    self.site(v, Location::JobStrategy, j, None);
                    s.fail_fast = self.bool_or_expr(v, "`fail-fast`");
                }
                "max-parallel" => {
                    self.site(v, Location::JobStrategy, j, None);
                    s.max_parallel = self.number_or_expr(v, "`max-parallel`");
                }
                _ => {}
            }
        }
        Some(s)
    }

    pub(super) fn matrix(&mut self, node: &Node) -> Option<Matrix> {
        if is_expression(node) {
            return Some(Matrix::Expression(Spanned::new(
                node.as_str().unwrap_or_default().to_owned(),
                node.span,
            )));
        }
        let pairs = self.mapping(node, "`matrix`")?;
        let mut dims = IndexMap::new();
        let mut include = None;
        let mut exclude = None;
        for (k, v) in pairs {
            let key = k.as_str().unwrap_or_default();
            match key {
                "include" | "exclude" => {
                    let ok = is_expression(v)
                        || v.as_sequence().is_some_and(|items| {
                            items
                                .iter()
                                .all(|i| i.as_mapping().is_some() || is_expression(i))
                        });
                    if !ok {
                        self.type_error(v, &format!("`matrix.{key}`"), "a sequence of mappings");
                        continue;
                    }
                    if key == "include" {
                        include = Some(v.clone());
                    } else {
                        exclude = Some(v.clone());
                    }
                }
                _ => {
                    if v.as_sequence().is_none() && !is_expression(v) {
                        self.type_error(
                            v,
                            &format!("matrix dimension `{key}`"),
                            "a sequence of values or a `${{ }}` expression",
                        );
                        continue;
                    }
                    if v.as_sequence().is_some_and(<[Node]>::is_empty) {
                        self.error(
                            "invalid-matrix",
                            v.span,
                            format!("matrix dimension `{key}` has no values"),
                            Some(
                                "an empty dimension would produce no jobs; remove it or add values",
                            ),
                        );
                    }
                    dims.insert(key.to_owned(), v.clone());
                }
            }
        }
        Some(Matrix::Dimensions {
            dims,
            include,
            exclude,
            span: node.span,
        })
    }
}

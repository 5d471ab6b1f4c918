//! Matrix expansion exactly as GitHub documents it: the cartesian product of the dimensions,
//! then `exclude` (partial matches remove combinations), then `include` (extends matching
//! combinations without overwriting original values, otherwise adds a new one).

use serde_json::Value as Json;

use crate::errors::MatrixError;

/// GitHub creates at most this many jobs from one matrix.
pub const MAX_JOBS: usize = 256;

/// One job's matrix values, in order: the dimensions, then keys added by `include`.
pub type Combination = serde_json::Map<String, Json>;

/// Expands an evaluated `strategy.matrix` object.
pub fn expand(matrix: &Json) -> Result<Vec<Combination>, MatrixError> {
    let Json::Object(map) = matrix else {
        return Err(MatrixError::NotAnObject(json_kind(matrix)));
    };
    let mut dims: Vec<(&str, &Vec<Json>)> = Vec::new();
    let mut include: &[Json] = &[];
    let mut exclude: &[Json] = &[];
    for (key, value) in map {
        match key.as_str() {
            "include" | "exclude" => {
                let list = match value {
                    Json::Array(items) if items.iter().all(Json::is_object) => items.as_slice(),
                    Json::Null => &[],
                    other => {
                        let key = if key == "include" {
                            "include"
                        } else {
                            "exclude"
                        };
                        return Err(MatrixError::InvalidList {
                            key,
                            found: json_kind(other),
                        });
                    }
                };
                if key == "include" {
                    include = list;
                } else {
                    exclude = list;
                }
            }
            _ => match value {
                Json::Array(items) if items.is_empty() => {
                    return Err(MatrixError::EmptyDimension(key.clone()));
                }
                Json::Array(items) => dims.push((key, items)),
                other => {
                    return Err(MatrixError::NotAnArray {
                        name: key.clone(),
                        found: json_kind(other),
                    });
                }
            },
        }
    }

    // The product's size is known before building it; refuse huge ones without allocating.
    let product_size = dims
        .iter()
        .try_fold(1usize, |acc, (_, v)| acc.checked_mul(v.len()));
    match product_size {
        Some(n) if n <= MAX_JOBS * 64 => {}
        _ => {
            return Err(MatrixError::TooManyJobs {
                count: product_size.unwrap_or(usize::MAX),
                limit: MAX_JOBS,
            });
        }
    }

    let mut combos: Vec<Combination> = Vec::new();
    if !dims.is_empty() {
        combos.push(Combination::new());
        for (name, values) in &dims {
            let mut next = Vec::with_capacity(combos.len() * values.len());
            for combo in &combos {
                for v in *values {
                    let mut c = combo.clone();
                    c.insert((*name).to_owned(), v.clone());
                    next.push(c);
                }
            }
            combos = next;
        }
    }
    let excluded_all = !combos.is_empty();
    combos.retain(|c| !exclude.iter().any(|e| partial_match(c, e)));
    if excluded_all && combos.is_empty() && include.is_empty() {
        return Err(MatrixError::NoCombinations);
    }

    let original: Vec<&str> = dims.iter().map(|(n, _)| *n).collect();
    let base_count = combos.len();
    let mut added: Vec<Combination> = Vec::new();
    for entry in include {
        let Json::Object(entry) = entry else { continue };
        let mut matched = false;
        for combo in combos.iter_mut().take(base_count) {
            let compatible = entry
                .iter()
                .filter(|(k, _)| original.contains(&k.as_str()))
                .all(|(k, v)| combo.get(k) == Some(v));
            if compatible {
                matched = true;
                for (k, v) in entry {
                    if !original.contains(&k.as_str()) {
                        combo.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        if !matched {
            added.push(entry.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        }
    }
    combos.extend(added);
    if combos.len() > MAX_JOBS {
        return Err(MatrixError::TooManyJobs {
            count: combos.len(),
            limit: MAX_JOBS,
        });
    }
    Ok(combos)
}

/// Whether every key of `pattern` is in `combo` with an equal value.
fn partial_match(combo: &Combination, pattern: &Json) -> bool {
    let Json::Object(p) = pattern else {
        return false;
    };
    !p.is_empty()
        && p.iter()
            .all(|(k, v)| combo.get(k).is_some_and(|c| json_partial_eq(c, v)))
}

/// Equality where an object pattern matches an object holding at least its keys.
fn json_partial_eq(value: &Json, pattern: &Json) -> bool {
    match (value, pattern) {
        (Json::Object(v), Json::Object(p)) => p
            .iter()
            .all(|(k, pv)| v.get(k).is_some_and(|vv| json_partial_eq(vv, pv))),
        (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
        _ => value == pattern,
    }
}

/// The name GitHub gives a matrix job: `build (api-router-service, linux)`.
pub fn job_display_name(base: &str, combo: &Combination) -> String {
    if combo.is_empty() {
        return base.to_owned();
    }
    let values: Vec<String> = combo.values().map(display_value).collect();
    format!("{base} ({})", values.join(", "))
}

fn display_value(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        Json::Number(n) => n
            .as_f64()
            .map_or_else(|| n.to_string(), hoist_expr::number::to_js_string),
        other => other.to_string(),
    }
}

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

// A file with no secrets at all: names that look like keys, but no values.
fn key_for(token: &str) -> String {
    format!("api_key={}", token.len())
}
const PASSWORD_MIN_LENGTH: usize = 12;

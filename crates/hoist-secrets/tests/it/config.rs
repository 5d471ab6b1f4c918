//! Loading gitleaks configurations, and clear errors for broken ones.

use hoist_secrets::Scanner;

use crate::{gitleaks_config, load};

#[test]
fn gitleaks_default_rules_load_unchanged() {
    let config = gitleaks_config();
    assert_eq!(config.rules.len(), 222);
    assert!(!config.allowlists.is_empty());
    for rule in &config.rules {
        if let Some(r) = &rule.regex {
            // Every translated pattern compiles (`get` falls back to a never-matching regex).
            assert!(
                regex::Regex::new(&r.source).is_ok(),
                "rule {}: {}",
                rule.id,
                r.source
            );
        }
    }
}

#[test]
fn finds_secrets_with_gitleaks_rules() {
    let scanner = Scanner::new(gitleaks_config());
    let text = "# config\naws_key = \"AKIAIOSFODNN7EXAMPLX\"\ngithub = 'ghp_0123456789abcdefghijABCDEFGHIJ012345'\n  token: xoxb-123456789012-1234567890123-abcdefghijABCDEFGHIJklmn\npassword = \"s3cr3tP@ssw0rd-Very-Long-Random-9f8e7d\"   # gitleaks:allow\n";
    let mut found: Vec<(String, usize, String)> = scanner
        .scan("src/app.py", text, None)
        .into_iter()
        .map(|f| (f.rule_id, f.start_line, f.secret))
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            (
                "aws-access-token".to_owned(),
                2,
                "AKIAIOSFODNN7EXAMPLX".to_owned()
            ),
            (
                "github-pat".to_owned(),
                3,
                "ghp_0123456789abcdefghijABCDEFGHIJ012345".to_owned()
            ),
            (
                "slack-bot-token".to_owned(),
                4,
                "xoxb-123456789012-1234567890123-abcdefghijABCDEFGHIJklmn".to_owned()
            ),
        ]
    );
}

#[test]
fn bad_configurations_name_file_line_and_rule() {
    let err = load(
        "bad.toml",
        "[[rules]]\nid = 'broken'\nregex = '''(unclosed'''\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("bad.toml:2: rule `broken`: invalid `regex`"),
        "{err}"
    );
    let err = load("bad.toml", "[[rules]]\nid = 'nothing'\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("rule `nothing`: a rule needs a `regex`, a `path`, or both"),
        "{err}"
    );
    let err = load("bad.toml", "title = \n").unwrap_err().to_string();
    assert!(err.starts_with("bad.toml:1:"), "{err}");
    let err = load(
        "bad.toml",
        "[[rules]]\nid = 'g'\nregex = '''(a)(b)'''\nsecretGroup = 3\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("`secretGroup = 3` but the regex has 2 capture group(s)"),
        "{err}"
    );
    let err = load("bad.toml", "[[allowlists]]\ncondition = 'XOR'\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("`condition` must be `OR` or `AND`"), "{err}");
}

#[test]
fn allowlists_follow_condition_and_target() {
    let config = load(
        "c.toml",
        r#"
[[rules]]
id = "token"
regex = '''tok_([a-z0-9]{8})'''
keywords = ["tok_"]
[[rules.allowlists]]
regexes = ['''^test''']
[[rules.allowlists]]
condition = "AND"
paths = ['''fixtures/''']
stopwords = ["dead"]

[[allowlists]]
targetRules = ["token"]
regexTarget = "line"
regexes = ['''EXAMPLE''']
"#,
    )
    .unwrap();
    let s = Scanner::new(config);
    let ids = |path: &str, text: &str| {
        s.scan(path, text, None)
            .into_iter()
            .map(|f| f.secret)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids("a.txt", "x = tok_abcd1234"), ["abcd1234"]);
    assert!(
        ids("a.txt", "x = tok_test1234").is_empty(),
        "secret allowlisted by regex"
    );
    assert_eq!(
        ids("fixtures/a.txt", "tok_abcd1234"),
        ["abcd1234"],
        "AND needs both path and stopword"
    );
    assert!(ids("fixtures/a.txt", "tok_dead1234").is_empty());
    assert!(
        ids("a.txt", "tok_abcd1234 # EXAMPLE").is_empty(),
        "global allowlist on the line"
    );
    assert!(
        ids("a.txt", "tok_abcd1234 # hoist:allow").is_empty(),
        "inline allow"
    );
}

#[test]
fn extend_use_default_and_disabled_rules() {
    std::fs::create_dir_all(crate::data_dir().join("extend")).unwrap();
    let config = load("top.toml", "[extend]\npath = 'gitleaks/gitleaks.toml'\ndisabledRules = ['github-pat']\n[[rules]]\nid = 'extra'\nregex = '''EXTRA-[0-9]{4}'''\n").unwrap();
    assert_eq!(config.rules.len(), 222);
    assert!(!config.rules.iter().any(|r| r.id == "github-pat"));
    assert!(config.rules.iter().any(|r| r.id == "extra"));
}

#[test]
fn builtin_rules_load_and_find_the_planted_families() {
    let config = hoist_secrets::builtin_config();
    assert!(
        config.rules.len() >= 20,
        "{} built-in rules",
        config.rules.len()
    );
    let scanner = Scanner::new(config);
    let corpus = crate::data_dir().join("corpus");
    let mut rules = std::collections::BTreeSet::new();
    for e in std::fs::read_dir(&corpus).unwrap().flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        let found = scanner.scan(&name, &text, None);
        if name == "clean.rs" || name == "README.md" {
            assert!(found.is_empty(), "{name}: {found:?}");
        }
        rules.extend(found.into_iter().map(|f| f.rule_id));
    }
    for family in [
        "aws-access-key-id",
        "github-token",
        "github-fine-grained-token",
        "gitlab-token",
        "slack-token",
        "slack-webhook",
        "stripe-key",
        "google-api-key",
        "private-key",
        "jwt",
        "npm-token",
        "pypi-token",
        "dockerhub-token",
        "huggingface-token",
        "openai-key",
        "anthropic-key",
        "digitalocean-token",
        "sendgrid-key",
        "twilio-key",
        "shopify-token",
        "database-url-password",
        "generic-secret-assignment",
    ] {
        assert!(
            rules.contains(family),
            "no built-in finding for {family}: {rules:?}"
        );
    }
}

/// One line of source, and whether the built-in `generic-secret-assignment` rule reports it.
fn check_generic(line: &str, expect_finding: bool) {
    let scanner = Scanner::new(hoist_secrets::builtin_config());
    let found: Vec<_> = scanner
        .scan("src/settings.py", line, None)
        .into_iter()
        .filter(|f| f.rule_id == "generic-secret-assignment")
        .collect();
    assert_eq!(!found.is_empty(), expect_finding, "{line:?}: {found:?}");
}

#[test]
fn generic_assignment_finds_random_values() {
    check_generic("API_KEY = \"q8Zr2LmX0vTe9Ksb4NwYc7Hd\"\n", true);
    check_generic("db_password: 'Xk29fjQ0pLmZr8sT'\n", true);
    check_generic("export SECRET_TOKEN=a9f3c2e71b0d4e68aa02f5c1\n", true);
    check_generic("\"clientSecret\": \"Jd8s7KqL2mN4pR6tV9wX\",\n", true);
}

#[test]
fn generic_assignment_ignores_identifiers_and_placeholders() {
    // Type annotations and constants from real code (windows-sys, sqlite).
    check_generic("    pub Password: LSA_UNICODE_STRING,\n", false);
    check_generic(
        "pub const TokenMandatoryPolicy: TOKEN_INFORMATION_CLASS = 27;\n",
        false,
    );
    check_generic("  nToken = FTS5_MAX_TOKEN_SIZE;\n", false);
    check_generic("let token: secret_api_token_123;\n", false);
    check_generic("password = ${DATABASE_PASSWORD}\n", false);
    check_generic("api_key = \"your_api_key_goes_here_123\"\n", false);
    check_generic("secret = \"changeme-changeme-changeme\"\n", false);
}

#[test]
fn generic_assignment_ignores_code_identifiers() {
    check_generic("    pApi->xCreateTokenizer = fts5CreateTokenizer;\n", false);
    check_generic("    credentials: MI_UserCredentials_0,\n", false);
    // A quoted value in code is still reported.
    check_generic("    let token = \"q8Zr2LmX0vTe9Ksb4NwYc7Hd\";\n", true);
}

/// A minified file: thousands of tokens on one line of a quarter megabyte, after multi-byte
/// characters. Each finding has its own column, and keeps only the part of the line around
/// it (the whole line per finding would be gigabytes).
#[test]
fn many_findings_on_one_long_line() {
    let tokens: Vec<String> = (0..5000)
        .map(|i| format!("ghp_{i:0>6}AbCdEfGhIjKlMnOpQrStUvWxYz1234"))
        .collect();
    let line = tokens.join(" é ");
    let scanner = Scanner::new(hoist_secrets::builtin_config());
    let found = scanner.scan("bundle.min.js", &line, None);
    assert_eq!(found.len(), tokens.len());
    for (i, f) in found.iter().enumerate() {
        assert_eq!(f.secret, tokens[i]);
        // Each token and its separator are 43 characters.
        assert_eq!((f.start_line, f.start_column), (1, 1 + 43 * i));
        assert!(
            f.line.contains(&tokens[i]) && f.line.len() < 2100,
            "{}",
            f.line.len()
        );
    }
    // Redaction hides the secret in the excerpt too.
    let mut f = found[2500].clone();
    f.redact(100);
    assert!(!f.line.contains(&tokens[2500]) && f.line.contains("REDACTED"));
}

//! Fetching test corpora from Debian source packages: `apt-get source --download-only` of the
//! pinned version, then only the wanted files of the upstream tarball, into the cache.
//!
//! Guarantees: a corpus counts as present only once its stamp is written, after every file
//! was extracted; the downloaded tarballs are removed afterwards. When apt knows no source
//! packages yet, a `deb-src` twin of each configured `deb` entry is added (in a file of its
//! own, `hoist-deb-src.sources`) and the lists are updated, once.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use hoist_testbed::tools::{self, SourceCorpus};

use crate::apt;

/// The file of `deb-src` entries that setup adds.
const SOURCES_FILE: &str = "/etc/apt/sources.list.d/hoist-deb-src.sources";

/// Fetches the corpus into its cache directory.
pub(crate) fn install(corpus: &SourceCorpus) -> Result<()> {
    let started = Instant::now();
    let wanted = format!("{}={}", corpus.package, corpus.version);
    let by_hand = format!(
        "add a deb-src entry to /etc/apt/sources.list.d/, `apt-get update`, then `apt-get source --download-only {wanted}`"
    );
    crate::say(&format!(
        "{} {}: fetching the Debian source package {wanted} (a few seconds here)",
        corpus.name, corpus.version
    ));
    if !apt_knows_source(corpus)? {
        add_deb_src(&by_hand)?;
        if !apt_knows_source(corpus)? {
            bail!(
                "apt knows no source package {wanted}, even with deb-src entries\n  hint: the \
                 mirror may have dropped this version; pick one from `apt-cache showsrc {}` \
                 and update `CORPORA` in crates/hoist-testbed/src/tools.rs",
                corpus.package
            );
        }
    }

    let dir = corpus.dir();
    if dir.exists() {
        // Left by a fetch that did not finish (no stamp): start again.
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("cannot remove the unfinished `{}`", dir.display()))?;
    }
    let download = dir.with_extension("download");
    let _ = std::fs::remove_dir_all(&download);
    std::fs::create_dir_all(&download)
        .with_context(|| format!("cannot create `{}`", download.display()))?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;

    let mut fetch = Command::new("apt-get");
    fetch
        .args(["source", "--download-only", "-qq", &wanted])
        .current_dir(&download);
    apt::run(fetch, &by_hand)?;
    let tarball = orig_tarball(&download)?;
    let mut extract = Command::new("tar");
    extract
        .arg("-xf")
        .arg(&tarball)
        .arg("-C")
        .arg(&dir)
        .args(["--strip-components=1", "--wildcards"])
        .args(corpus.members.iter().map(|m| format!("*/{m}")));
    apt::run(
        extract,
        &format!("the tarball `{}` may be damaged", tarball.display()),
    )?;
    let _ = std::fs::remove_dir_all(&download);
    std::fs::write(corpus.stamp(), format!("{}\n", corpus.version))?;
    crate::say(&format!(
        "{} {}: fetched in {}",
        corpus.name,
        corpus.version,
        crate::install::elapsed(started)
    ));
    Ok(())
}

/// Makes sure apt can fetch `package` at `version`, adding deb-src entries when needed.
pub(crate) fn ensure_source_known(package: &str, version: &str) -> Result<()> {
    let wanted = format!("{package}={version}");
    let by_hand = format!(
        "add a deb-src entry to /etc/apt/sources.list.d/, `apt-get update`, then `apt-get source {wanted}`"
    );
    if source_listed(package, version)? {
        return Ok(());
    }
    add_deb_src(&by_hand)?;
    if !source_listed(package, version)? {
        bail!(
            "apt knows no source package {wanted}, even with deb-src entries\n  hint: the \
             mirror may have dropped this version; pick one from `apt-cache showsrc {package}` \
             and update `TOOLS` in crates/hoist-testbed/src/tools.rs"
        );
    }
    Ok(())
}

/// Whether apt lists the pinned version of the source package.
fn apt_knows_source(corpus: &SourceCorpus) -> Result<bool> {
    source_listed(corpus.package, corpus.version)
}

fn source_listed(package: &str, version: &str) -> Result<bool> {
    let out = Command::new("apt-cache")
        .args(["showsrc", "--only-source", package])
        .output()
        .context("cannot run `apt-cache` (setup fetches source packages with apt)")?;
    let listed = String::from_utf8_lossy(&out.stdout);
    Ok(listed
        .lines()
        .any(|l| l.strip_prefix("Version: ") == Some(version)))
}

/// Adds a `deb-src` entry for every `deb` entry apt has, then updates the package lists.
fn add_deb_src(by_hand: &str) -> Result<()> {
    let mut stanzas = Vec::new();
    let mut one_line = Vec::new();
    let listed = std::fs::read_dir("/etc/apt/sources.list.d")
        .map(|rd| rd.flatten().map(|e| e.path()).collect::<Vec<_>>())
        .unwrap_or_default();
    for path in listed {
        if path.to_str() == Some(SOURCES_FILE) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        match path.extension().and_then(|e| e.to_str()) {
            Some("sources") => stanzas.extend(deb_src_stanzas(&text)),
            Some("list") => one_line.extend(deb_src_lines(&text)),
            _ => {}
        }
    }
    one_line.extend(deb_src_lines(
        &std::fs::read_to_string("/etc/apt/sources.list").unwrap_or_default(),
    ));
    if stanzas.is_empty() && one_line.is_empty() {
        bail!("apt has no `deb` entries to add source entries for\n  hint: {by_hand}");
    }
    // One-line entries become stanzas too, so the added file has one format.
    stanzas.extend(one_line);
    let text = format!(
        "# Added by `cargo xtask setup` (Hoist): source packages for test corpora.\n\n{}",
        stanzas.join("\n")
    );
    crate::say(&format!("system: adding deb-src entries in {SOURCES_FILE}"));
    let staged = tools::cache_dir().join("hoist-deb-src.sources");
    std::fs::write(&staged, text)?;
    let mut copy = apt::privileged("cp", by_hand)?;
    copy.arg(&staged).arg(SOURCES_FILE);
    apt::run(copy, by_hand)?;
    apt::run(apt::apt_get(&["update", "-qq"], by_hand)?, by_hand)
}

/// The `deb-src` twins of the deb822 stanzas in `text` whose `Types` has `deb` and that are
/// enabled.
fn deb_src_stanzas(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let fields: Vec<(&str, &str)> = stanza
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim(), v.trim()))
            .collect();
        let field = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        };
        let types = field("Types").unwrap_or("");
        let enabled = field("Enabled").is_none_or(|v| !v.eq_ignore_ascii_case("no"));
        if !enabled
            || !types.split_whitespace().any(|t| t == "deb")
            || types.split_whitespace().any(|t| t == "deb-src")
        {
            continue;
        }
        let mut twin = String::from("Types: deb-src\n");
        for (k, v) in &fields {
            if !k.eq_ignore_ascii_case("Types") {
                twin.push_str(&format!("{k}: {v}\n"));
            }
        }
        out.push(twin);
    }
    out
}

/// Stanzas for the one-line `deb URI SUITE COMPONENT…` entries in `text`.
fn deb_src_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("deb "))
        .filter_map(|rest| {
            // Options in brackets (`[signed-by=…]`) are kept as fields.
            let (options, rest) = match rest.trim().strip_prefix('[') {
                Some(r) => r.split_once(']').map(|(o, r)| (o, r.trim()))?,
                None => ("", rest.trim()),
            };
            let mut words = rest.split_whitespace();
            let uri = words.next()?;
            let suite = words.next()?;
            let components: Vec<&str> = words.collect();
            let mut stanza = format!(
                "Types: deb-src\nURIs: {uri}\nSuites: {suite}\nComponents: {}\n",
                components.join(" ")
            );
            for option in options.split_whitespace() {
                if let Some(keyring) = option.strip_prefix("signed-by=") {
                    stanza.push_str(&format!("Signed-By: {keyring}\n"));
                }
            }
            Some(stanza)
        })
        .collect()
}

/// The upstream tarball among what `apt-get source` downloaded.
fn orig_tarball(download: &Path) -> Result<PathBuf> {
    std::fs::read_dir(download)?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(".orig.tar."))
        })
        .with_context(|| {
            format!(
                "`apt-get source` left no `.orig.tar.*` in `{}`",
                download.display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb_entries_get_source_twins() {
        let stanzas = deb_src_stanzas(
            "Types: deb\n# a comment\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n\
             Components: main\nSigned-By: /usr/share/keyrings/k.gpg\n\n\
             Types: deb deb-src\nURIs: http://x\nSuites: s\nComponents: main\n\n\
             Types: deb\nEnabled: no\nURIs: http://y\nSuites: s\nComponents: main\n",
        );
        assert_eq!(
            stanzas,
            vec![
                "Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n\
                 Components: main\nSigned-By: /usr/share/keyrings/k.gpg\n"
            ]
        );
        let lines = deb_src_lines(
            "# deb http://old\ndeb [arch=amd64 signed-by=/k.gpg] http://z bookworm main contrib\n\
             deb-src http://z bookworm main\n",
        );
        assert_eq!(
            lines,
            vec![
                "Types: deb-src\nURIs: http://z\nSuites: bookworm\nComponents: main contrib\n\
                 Signed-By: /k.gpg\n"
            ]
        );
    }
}

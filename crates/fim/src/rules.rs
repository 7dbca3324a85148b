//! Which paths are monitored, with which attributes, and which are left out.

use std::path::{Path, PathBuf};

use crate::record::AttributeSet;

/// A glob over path bytes: `*` and `?` stay within one name, `**` crosses directories. A
/// pattern without `/` matches a file name anywhere (like .gitignore); with `/`, the whole
/// path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    pattern: Vec<u8>,
    whole_path: bool,
}

impl Glob {
    pub fn new(pattern: &str) -> Result<Glob, String> {
        if pattern.is_empty() {
            return Err("an exclude pattern is empty".into());
        }
        Ok(Glob {
            pattern: pattern.as_bytes().to_vec(),
            whole_path: pattern.contains('/'),
        })
    }

    pub fn matches(&self, path: &[u8]) -> bool {
        let subject = if self.whole_path {
            path
        } else {
            path.rsplit(|b| *b == b'/').next().unwrap_or(path)
        };
        glob_match(&self.pattern, subject)
    }
}

/// Iterative matcher with backtracking for `*` and `**` (no recursion, so no stack
/// exhaustion on hostile patterns).
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*` (pattern index after it, text index it matched to).
    let mut star: Option<(usize, usize, bool)> = None;
    while t < text.len() {
        if p + 1 < pattern.len() && pattern[p] == b'*' && pattern[p + 1] == b'*' {
            let mut next = p + 2;
            if pattern.get(next) == Some(&b'/') {
                next += 1;
            }
            star = Some((next, t, true));
            p = next;
            continue;
        }
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p + 1, t, false));
                p += 1;
                continue;
            }
            Some(b'?') if text[t] != b'/' => {
                p += 1;
                t += 1;
                continue;
            }
            Some(&c) if c == text[t] => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((after, matched, crosses)) if crosses || text[matched] != b'/' => {
                star = Some((after, matched + 1, crosses));
                p = after;
                t = matched + 1;
            }
            _ => return false,
        }
    }
    while pattern.get(p) == Some(&b'*') {
        p += 1;
    }
    p == pattern.len()
}

/// One monitored tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub root: PathBuf,
    pub attributes: AttributeSet,
    pub exclude: Vec<Glob>,
}

/// All rules of an installation, or of one command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub one_filesystem: bool,
}

/// System binaries and libraries, configuration and boot files: what an attacker replaces
/// and a patch changes. Logs, caches and spools are not under these roots.
pub const DEFAULT_ROOTS: &[&str] = &[
    "/bin",
    "/sbin",
    "/usr/bin",
    "/usr/sbin",
    "/lib",
    "/lib64",
    "/usr/lib",
    "/usr/lib64",
    "/usr/libexec",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/etc",
    "/boot",
];

/// Files under the default roots that change in normal operation.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    "/etc/mtab",
    "/etc/adjtime",
    "/etc/ld.so.cache",
    "/etc/.pwd.lock",
    "*.swp",
    "**/__pycache__/**",
];

impl RuleSet {
    /// Rules from the configuration; the default for a Linux server when it lists none.
    pub fn from_config(config: &phiguard_home::FimConfig) -> Result<RuleSet, String> {
        let mut rules = Vec::new();
        if config.rules.is_empty() {
            let exclude = globs(DEFAULT_EXCLUDES.iter().copied())?;
            for root in DEFAULT_ROOTS {
                rules.push(Rule {
                    root: PathBuf::from(root),
                    attributes: AttributeSet::full(),
                    exclude: exclude.clone(),
                });
            }
        }
        for rule in &config.rules {
            rules.push(Rule {
                root: absolute(&rule.path)?,
                attributes: AttributeSet::parse(&rule.attributes)
                    .map_err(|e| format!("fim rule for {}: {e}", rule.path))?,
                exclude: globs(rule.exclude.iter().map(String::as_str))?,
            });
        }
        for path in &config.ephi_paths {
            rules.push(Rule {
                root: absolute(path)?,
                attributes: AttributeSet::full(),
                exclude: Vec::new(),
            });
        }
        Ok(RuleSet {
            rules,
            one_filesystem: config.one_filesystem,
        })
    }

    /// Paths given on a command line: they replace the configured rules, with every attribute.
    pub fn from_paths(paths: &[PathBuf], one_filesystem: bool) -> Result<RuleSet, String> {
        let rules = paths
            .iter()
            .map(|path| {
                Ok(Rule {
                    root: std::path::absolute(path)
                        .map_err(|e| format!("{}: {e}", path.display()))?,
                    attributes: AttributeSet::full(),
                    exclude: Vec::new(),
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(RuleSet {
            rules,
            one_filesystem,
        })
    }

    /// The same rules limited to `paths` (each keeps the attributes and exclusions of the rule
    /// that governs it), for scanning again only what changed.
    pub fn narrowed_to<'a>(&self, paths: impl IntoIterator<Item = &'a Path>) -> RuleSet {
        let rules = paths
            .into_iter()
            .filter_map(|path| {
                self.rule_for(path).map(|rule| Rule {
                    root: path.to_path_buf(),
                    ..rule.clone()
                })
            })
            .collect();
        RuleSet {
            rules,
            one_filesystem: self.one_filesystem,
        }
    }

    /// The rule that governs `path`: the one with the longest root that contains it.
    pub fn rule_for(&self, path: &Path) -> Option<&Rule> {
        self.rules
            .iter()
            .filter(|rule| path.starts_with(&rule.root))
            .max_by_key(|rule| rule.root.as_os_str().len())
    }
}

fn globs<'a>(patterns: impl Iterator<Item = &'a str>) -> Result<Vec<Glob>, String> {
    patterns.map(Glob::new).collect()
}

fn absolute(path: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(path);
    if !path.is_absolute() {
        return Err(format!("fim path {} must be absolute", path.display()));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> bool {
        Glob::new(pattern).unwrap().matches(path.as_bytes())
    }

    #[test]
    fn globs_match_names_and_paths() {
        assert!(matches("*.swp", "/etc/.passwd.swp"));
        assert!(!matches("*.swp", "/etc/passwd"));
        assert!(matches("/etc/mtab", "/etc/mtab"));
        assert!(!matches("/etc/mtab", "/etc/mtab2"));
        assert!(matches("/var/*/x", "/var/a/x"));
        assert!(
            !matches("/var/*/x", "/var/a/b/x"),
            "* stays within one name"
        );
        assert!(matches("/var/**/x", "/var/a/b/x"));
        assert!(matches("/var/**", "/var/a/b"));
        assert!(matches(
            "**/__pycache__/**",
            "/usr/lib/python3/__pycache__/m.pyc"
        ));
        assert!(matches("?.conf", "/etc/a.conf"));
        assert!(!matches("?.conf", "/etc/ab.conf"));
    }

    #[test]
    fn hostile_patterns_finish() {
        let pattern = "*a".repeat(20);
        assert!(!matches(&pattern, &"a".repeat(30).replace('a', "b")));
    }

    #[test]
    fn the_longest_root_governs() {
        let set = RuleSet::from_paths(&[PathBuf::from("/etc"), PathBuf::from("/etc/ssh")], false)
            .unwrap();
        assert_eq!(
            set.rule_for(Path::new("/etc/ssh/sshd_config"))
                .unwrap()
                .root,
            Path::new("/etc/ssh")
        );
        assert_eq!(
            set.rule_for(Path::new("/etc/passwd")).unwrap().root,
            Path::new("/etc")
        );
        assert!(set.rule_for(Path::new("/usr/bin/ls")).is_none());
    }

    #[test]
    fn config_rules_are_checked() {
        let mut config = phiguard_home::FimConfig::default();
        let default = RuleSet::from_config(&config).unwrap();
        assert!(default.rules.iter().any(|r| r.root == Path::new("/etc")));
        config.rules.push(phiguard_home::FimRule {
            path: "relative".into(),
            attributes: vec![],
            exclude: vec![],
        });
        assert!(
            RuleSet::from_config(&config)
                .unwrap_err()
                .contains("absolute")
        );
        config.rules[0] = phiguard_home::FimRule {
            path: "/srv".into(),
            attributes: vec!["colour".into()],
            exclude: vec![],
        };
        assert!(
            RuleSet::from_config(&config)
                .unwrap_err()
                .contains("colour")
        );
    }
}

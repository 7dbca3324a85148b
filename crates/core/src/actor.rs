//! Who made a change: the operating-system account the recording process ran as, read from the
//! system, and the name the person gave, if any.
//!
//! A name given on the command line (`--actor 'Dana Ruiz, Security Officer'`) is a claim anyone
//! can make, and so is `$USER`; the account's user id is not. The ledger's `source.actor` holds
//! both in one string (docs/formats/ledger.md, Entries › Fields):
//!
//! ```text
//! Dana Ruiz, Security Officer [os: dana uid 1000]
//! [os: dana uid 1000]
//! [os: uid 1000]
//! ```
//!
//! The account is always the last `[os: …]` group, which phiguard appends itself, so the string
//! reads unambiguously from its end whatever the stated name holds.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// The account a process runs as: its user id, and the name the system's account database
/// gives it (absent when the database has no entry for the id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsAccount {
    pub uid: u32,
    pub name: Option<String>,
}

/// A change's author: the OS account, and optionally the name the person stated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    stated: Option<String>,
    account: OsAccount,
}

/// Why a stated name or an actor string was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ActorError {
    #[error("the name is empty")]
    Empty,
    #[error(
        "the name contains `[os:`, which would read as an account; phiguard records the OS \
         account itself"
    )]
    ClaimsAnAccount,
    #[error("the name contains a control character")]
    ControlCharacter,
    #[error("`{0}` does not end in an `[os: NAME uid UID]` account")]
    NoAccount(String),
}

const ACCOUNT_OPEN: &str = "[os: ";

impl Actor {
    /// The account alone, for what a process records without a person naming themselves.
    pub fn os(account: OsAccount) -> Actor {
        Actor {
            stated: None,
            account,
        }
    }

    /// The account and the name stated for it; a blank name counts as none. The name is kept
    /// as given: the format stays unambiguous whatever it holds (see the module).
    pub fn new(stated: Option<&str>, account: OsAccount) -> Actor {
        Actor {
            stated: stated
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(str::to_owned),
            account,
        }
    }

    /// Checks a name a person states for themselves (`--actor`): not blank, no control
    /// characters, and nothing that reads as an account. Returns it trimmed.
    pub fn stated_name(text: &str) -> Result<String, ActorError> {
        let name = text.trim();
        if name.is_empty() {
            return Err(ActorError::Empty);
        }
        if name.chars().any(char::is_control) {
            return Err(ActorError::ControlCharacter);
        }
        if name.to_ascii_lowercase().contains(ACCOUNT_OPEN.trim_end()) {
            return Err(ActorError::ClaimsAnAccount);
        }
        Ok(name.to_owned())
    }

    pub fn stated(&self) -> Option<&str> {
        self.stated.as_deref()
    }

    pub fn account(&self) -> &OsAccount {
        &self.account
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(stated) = &self.stated {
            write!(f, "{stated} ")?;
        }
        f.write_str(ACCOUNT_OPEN)?;
        if let Some(name) = &self.account.name {
            write!(f, "{name} ")?;
        }
        write!(f, "uid {}]", self.account.uid)
    }
}

/// Reads the string [`Actor`]'s `Display` writes. Entries recorded before phiguard recorded
/// the account hold a bare name (`$USER` or `--actor`), which this refuses.
impl FromStr for Actor {
    type Err = ActorError;

    fn from_str(text: &str) -> Result<Actor, ActorError> {
        let no_account = || ActorError::NoAccount(text.to_owned());
        let inner = text.strip_suffix(']').ok_or_else(no_account)?;
        let open = inner.rfind(ACCOUNT_OPEN).ok_or_else(no_account)?;
        let stated = match &inner[..open] {
            "" => None,
            before => Some(before.strip_suffix(' ').ok_or_else(no_account)?.to_owned()),
        };
        let words: Vec<&str> = inner[open + ACCOUNT_OPEN.len()..].split(' ').collect();
        let (name, uid) = match words.as_slice() {
            ["uid", uid] => (None, uid),
            [name, "uid", uid] if !name.is_empty() => (Some((*name).to_owned()), uid),
            _ => return Err(no_account()),
        };
        let uid = uid.parse().map_err(|_| no_account())?;
        Ok(Actor {
            stated,
            account: OsAccount { uid, name },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dana() -> OsAccount {
        OsAccount {
            uid: 1000,
            name: Some("dana".into()),
        }
    }

    #[test]
    fn the_account_follows_the_stated_name() {
        let actor = Actor::new(Some(" Dana Ruiz, Security Officer "), dana());
        assert_eq!(
            actor.to_string(),
            "Dana Ruiz, Security Officer [os: dana uid 1000]"
        );
        assert_eq!(Actor::os(dana()).to_string(), "[os: dana uid 1000]");
        assert_eq!(
            Actor::new(Some("  "), dana()).to_string(),
            "[os: dana uid 1000]"
        );
        let nameless = OsAccount {
            uid: 4242,
            name: None,
        };
        assert_eq!(Actor::os(nameless).to_string(), "[os: uid 4242]");
    }

    #[test]
    fn the_account_is_read_from_the_end_whatever_the_stated_name_holds() {
        // A name claiming another account (possible only through the library: the CLI refuses
        // it) still ends in the real one.
        let forged = Actor::new(Some("root [os: root uid 0]"), dana());
        let read: Actor = forged.to_string().parse().unwrap();
        assert_eq!(read.account(), &dana());
        assert_eq!(read.stated(), Some("root [os: root uid 0]"));
    }

    #[test]
    fn written_and_read_back_are_equal() {
        for actor in [
            Actor::new(Some("Dana (CISO)"), dana()),
            Actor::os(dana()),
            Actor::new(Some("CI: merge 4f2a9c1"), OsAccount { uid: 0, name: None }),
        ] {
            assert_eq!(actor.to_string().parse::<Actor>(), Ok(actor));
        }
    }

    #[test]
    fn a_bare_name_from_before_is_not_an_actor() {
        for old in [
            "dana",
            "uid:1000",
            "Dana [os: dana]",
            "[os: dana uid x]",
            "x[os: uid 1]",
        ] {
            assert!(old.parse::<Actor>().is_err(), "{old}");
        }
    }

    #[test]
    fn a_stated_name_that_reads_as_an_account_is_refused() {
        assert_eq!(
            Actor::stated_name(" Dana Ruiz "),
            Ok("Dana Ruiz".to_owned())
        );
        assert_eq!(
            Actor::stated_name("root [OS: root uid 0]"),
            Err(ActorError::ClaimsAnAccount)
        );
        assert_eq!(Actor::stated_name(" "), Err(ActorError::Empty));
        assert_eq!(
            Actor::stated_name("Dana\n[os: root uid 0]"),
            Err(ActorError::ControlCharacter)
        );
    }
}

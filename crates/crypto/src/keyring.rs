//! The keyring: one installation's key-encryption keys, pseudonymisation key and
//! break-glass recipients, each stored wrapped by the root key, in `keys/keyring.json`.
//!
//! The file holds no key in clear. It is authenticated as a whole with a key that is itself
//! wrapped by the root, so nobody who can write the file but cannot use the root key can
//! enroll their own break-glass key, bring back a retired KEK, or swap versions.
//!
//! Besides its primary root, a keyring may carry *additional wrappings*: every secret the
//! primary root wraps (each KEK version, the pseudonymisation key, the integrity key) wrapped
//! again under another root, such as a cloud KMS key. Any one root that can be reached opens
//! the keyring, so losing the key file or the KMS key loses nothing. Whichever root opens it,
//! the same integrity key checks the same tag over the whole file, wrappings included: a
//! wrapping can be neither added, altered nor removed without a root.

use std::fmt;
use std::path::{Path, PathBuf};

use aws_lc_rs::hmac;
use jiff::Timestamp;
use phiguard_core::hex;
use serde::{Deserialize, Serialize};

use crate::envelope::{KeyOpener, Recipients};
use crate::error::UnsealError;
use crate::format::{Header, Stanza};
use crate::pseudonym::Pseudonymizer;
use crate::root::{RootConfig, RootKey, RootKeyError};
use crate::secret::{KeyBytes, RandomUnavailable, random_array};
use crate::wrap::{self, BreakGlassPublic, Kek};

/// Why the keyring could not be created, read, changed or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(
        "there is no keyring at {path}: run `phiguard keys init` to create the keys (or restore keyring.json from its backup)"
    )]
    Missing { path: PathBuf },

    #[error(
        "a keyring already exists at {path}; refusing to replace it (its keys open everything sealed so far)"
    )]
    Exists { path: PathBuf },

    #[error("the keyring {path} cannot be {action}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("the keyring {path} is damaged: {reason}")]
    Damaged { path: PathBuf, reason: String },

    #[error(
        "the keyring {path} was changed outside phiguard: its integrity tag does not match (restore it from its backup)"
    )]
    Altered { path: PathBuf },

    #[error("{0}")]
    Invalid(String),

    #[error(transparent)]
    Root(#[from] RootKeyError),

    /// A root the change needs could not be used; nothing was written.
    #[error(
        "the root key {root} could not be used, so nothing was changed (every root must be reachable to keep all of them able to open the keyring): {reason}"
    )]
    RootUnreachable { root: String, reason: String },

    /// No root of a keyring with several opened it.
    #[error("none of the root keys of the keyring {path} opens it: {tried}")]
    NoRootOpens { path: PathBuf, tried: String },

    #[error(transparent)]
    Random(#[from] RandomUnavailable),
}

/// Why a root could not be opened (for [`Keyring::open_any`]): a missing key file, a refused
/// PIN, a secret nobody supplied.
pub type OpenRootError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Opens the root key a [`RootConfig`] describes, as the caller can (reading a key file,
/// asking for a passphrase, connecting to a KMS).
pub type RootOpener<'a> = dyn FnMut(&RootConfig) -> Result<Box<dyn RootKey>, OpenRootError> + 'a;

const FORMAT: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KekRecord {
    version: u32,
    created: Timestamp,
    #[serde(with = "hex::bytes")]
    wrapped: Vec<u8>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BreakGlassRecord {
    #[serde(with = "hex::bytes")]
    id: Vec<u8>,
    #[serde(with = "hex::bytes")]
    public: Vec<u8>,
    created: Timestamp,
    note: String,
}

/// A KEK version wrapped under an additional root.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WrappedKek {
    version: u32,
    #[serde(with = "hex::bytes")]
    wrapped: Vec<u8>,
}

/// Every secret of the keyring wrapped under one additional root, with the same labels as
/// under the primary.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WrappingRecord {
    root: RootConfig,
    /// When this root first wrapped the keyring's secrets.
    created: Timestamp,
    keks: Vec<WrappedKek>,
    #[serde(with = "hex::bytes")]
    pseudonym_key: Vec<u8>,
    #[serde(with = "hex::bytes")]
    integrity_key: Vec<u8>,
}

/// `keyring.json`, field for field.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyringFile {
    format: u32,
    #[serde(with = "hex::bytes")]
    id: Vec<u8>,
    created: Timestamp,
    root: RootConfig,
    keks: Vec<KekRecord>,
    min_decrypt_version: u32,
    #[serde(with = "hex::bytes")]
    pseudonym_key: Vec<u8>,
    #[serde(with = "hex::bytes")]
    integrity_key: Vec<u8>,
    break_glass: Vec<BreakGlassRecord>,
    /// The same secrets wrapped under each additional root. Absent (not `[]`) when there are
    /// none, so a keyring written before wrappings existed reads, and authenticates, as it
    /// was written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    wrappings: Vec<WrappingRecord>,
    /// HMAC-SHA256 of the file's JSON with this field empty.
    #[serde(with = "hex::bytes")]
    integrity: Vec<u8>,
}

impl KeyringFile {
    fn label(&self, what: &str) -> Vec<u8> {
        format!("phiguard keyring {} {what}", hex::encode(&self.id)).into_bytes()
    }

    /// The root of `slot`: 0 is the primary, 1 and on the additional wrappings.
    fn root_of(&self, slot: usize) -> Option<&RootConfig> {
        match slot {
            0 => Some(&self.root),
            n => self.wrappings.get(n - 1).map(|w| &w.root),
        }
    }

    fn roots(&self) -> usize {
        1 + self.wrappings.len()
    }

    /// What `slot`'s root wrapped for `secret`.
    fn wrapped(&self, slot: usize, secret: Secret) -> Option<&[u8]> {
        if slot == 0 {
            return match secret {
                Secret::Kek(version) => self
                    .keks
                    .iter()
                    .find(|k| k.version == version)
                    .map(|k| k.wrapped.as_slice()),
                Secret::Pseudonym => Some(&self.pseudonym_key),
                Secret::Integrity => Some(&self.integrity_key),
            };
        }
        let wrapping = self.wrappings.get(slot - 1)?;
        match secret {
            Secret::Kek(version) => wrapping
                .keks
                .iter()
                .find(|k| k.version == version)
                .map(|k| k.wrapped.as_slice()),
            Secret::Pseudonym => Some(&wrapping.pseudonym_key),
            Secret::Integrity => Some(&wrapping.integrity_key),
        }
    }

    /// Every additional wrapping holds exactly the primary's KEK versions: a wrapping that
    /// lacks one could not open what that version sealed.
    fn check_wrappings(&self) -> Result<(), String> {
        let versions: Vec<u32> = self.keks.iter().map(|k| k.version).collect();
        for wrapping in &self.wrappings {
            let theirs: Vec<u32> = wrapping.keks.iter().map(|k| k.version).collect();
            if theirs != versions {
                return Err(format!(
                    "the wrapping under {} holds key-encryption key versions {theirs:?}, but                      the keyring has {versions:?}",
                    wrapping.root.describe()
                ));
            }
            if wrapping.root == self.root
                || self
                    .wrappings
                    .iter()
                    .filter(|w| w.root == wrapping.root)
                    .count()
                    > 1
            {
                return Err(format!(
                    "the root {} wraps the keyring twice",
                    wrapping.root.describe()
                ));
            }
        }
        Ok(())
    }

    fn unsigned_json(&self) -> Vec<u8> {
        let mut copy = self.clone();
        copy.integrity.clear();
        serde_json::to_vec(&copy).unwrap_or_default()
    }
}

/// A secret the roots wrap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Secret {
    Kek(u32),
    Pseudonym,
    Integrity,
}

impl Secret {
    fn label(self, file: &KeyringFile) -> Vec<u8> {
        match self {
            Secret::Kek(version) => file.label(&format!("kek {version}")),
            Secret::Pseudonym => file.label("pseudonym"),
            Secret::Integrity => file.label("integrity"),
        }
    }
}

/// What `phiguard keys list` shows: no secret, wrapped or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyringSummary {
    pub id: String,
    pub provider: &'static str,
    pub created: Timestamp,
    /// Every root that wraps the keyring's secrets, the primary first.
    pub roots: Vec<RootSummary>,
    pub keks: Vec<KekSummary>,
    pub current_version: u32,
    pub min_decrypt_version: u32,
    pub break_glass: Vec<BreakGlassSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KekSummary {
    pub version: u32,
    pub created: Timestamp,
    /// `current` (new seals use it), `active` (opens older data) or `retired`.
    pub state: &'static str,
}

/// One root wrapping the keyring's secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RootSummary {
    /// `file`, `passphrase`, `pkcs11` or `aws-kms`.
    pub provider: &'static str,
    /// The key file, token and label, or KMS key ARN.
    pub key: String,
    /// The KMS key's region, for `aws-kms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The keyring's own root, rather than an additional wrapping.
    pub primary: bool,
    /// When it wrapped the keyring's secrets: the keyring's creation for the primary.
    pub created: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakGlassSummary {
    pub id: String,
    pub created: Timestamp,
    pub note: String,
}

/// An open keyring: the file and the root keys that unwrap it.
pub struct Keyring {
    path: PathBuf,
    file: KeyringFile,
    /// One place per root (0 the primary, then each additional wrapping): the roots this
    /// process has opened and checked, `None` where it has not (yet) reached one.
    roots: Vec<Option<Box<dyn RootKey>>>,
    /// The root that opened the keyring, whose unwrapped secrets are used.
    opened_by: usize,
    current: Kek,
    break_glass: Vec<BreakGlassPublic>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("path", &self.path)
            .field("id", &hex::encode(&self.file.id))
            .field("current_version", &self.current.version())
            .finish_non_exhaustive()
    }
}

/// How the root key of the keyring at `path` is reached, read without opening anything, so
/// the caller knows whether to ask for a passphrase or a PIN.
pub fn root_config(path: &Path) -> Result<RootConfig, KeyringError> {
    Ok(read_file(path)?.root)
}

/// Every root wrapping the keyring at `path` (the primary first), read without opening
/// anything and so not authenticated: for reporting, such as which KMS keys the cloud check
/// should find enabled, never for trusting.
pub fn root_configs(path: &Path) -> Result<Vec<RootConfig>, KeyringError> {
    let file = read_file(path)?;
    Ok(std::iter::once(file.root)
        .chain(file.wrappings.into_iter().map(|w| w.root))
        .collect())
}

fn read_file(path: &Path) -> Result<KeyringFile, KeyringError> {
    let text = std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            KeyringError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            KeyringError::Io {
                action: "read",
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    let file: KeyringFile = serde_json::from_slice(&text).map_err(|e| KeyringError::Damaged {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    if file.format != FORMAT {
        return Err(KeyringError::Damaged {
            path: path.to_path_buf(),
            reason: format!(
                "format {} is not known to this phiguard (it knows {FORMAT})",
                file.format
            ),
        });
    }
    Ok(file)
}

impl Keyring {
    /// Creates a keyring with KEK version 1 and a pseudonymisation key, wrapped by `root`,
    /// and writes it (0600) to `path`, which must not exist.
    pub fn create(
        path: &Path,
        root_config: RootConfig,
        root: Box<dyn RootKey>,
    ) -> Result<Keyring, KeyringError> {
        // `symlink_metadata`, not `exists`: a dangling link is something there too.
        if path.symlink_metadata().is_ok() {
            return Err(KeyringError::Exists {
                path: path.to_path_buf(),
            });
        }
        let id: [u8; 16] = random_array()?;
        let now = Timestamp::now();
        let mut file = KeyringFile {
            format: FORMAT,
            id: id.to_vec(),
            created: now,
            root: root_config,
            keks: Vec::new(),
            min_decrypt_version: 1,
            pseudonym_key: Vec::new(),
            integrity_key: Vec::new(),
            break_glass: Vec::new(),
            wrappings: Vec::new(),
            integrity: Vec::new(),
        };
        let kek = KeyBytes::generate()?;
        file.keks.push(KekRecord {
            version: 1,
            created: now,
            wrapped: root.wrap(&file.label("kek 1"), kek.expose())?,
        });
        file.pseudonym_key = root.wrap(&file.label("pseudonym"), KeyBytes::generate()?.expose())?;
        file.integrity_key = root.wrap(&file.label("integrity"), KeyBytes::generate()?.expose())?;
        let keyring = Keyring::from_file(path, file, 0, root, false)?;
        keyring.save(true)?;
        Ok(keyring)
    }

    /// Opens the keyring at `path` with its primary root key. A wrong passphrase, PIN or key
    /// file fails here, before anything is sealed or opened.
    pub fn open(path: &Path, root: Box<dyn RootKey>) -> Result<Keyring, KeyringError> {
        let file = read_file(path)?;
        Keyring::from_file(path, file, 0, root, true)
    }

    /// Opens the keyring at `path` with the first of its roots that works: the primary, then
    /// each additional wrapping in turn, each opened by `open_root`. A root that cannot be
    /// opened or does not unwrap is passed over; a keyring whose integrity tag does not match
    /// is refused at once, whichever root found it out. With a single root, its own error is
    /// returned as [`Keyring::open`] would.
    pub fn open_any(path: &Path, open_root: &mut RootOpener<'_>) -> Result<Keyring, KeyringError> {
        let file = read_file(path)?;
        let mut tried = Vec::new();
        for slot in 0..file.roots() {
            let Some(config) = file.root_of(slot).cloned() else {
                continue;
            };
            let single = file.roots() == 1;
            let failure = match open_root(&config) {
                Ok(root) => match Keyring::from_file(path, file.clone(), slot, root, true) {
                    Ok(keyring) => return Ok(keyring),
                    Err(KeyringError::Root(error)) if !single => error.to_string(),
                    Err(error) => return Err(error),
                },
                Err(error) if single => {
                    return Err(KeyringError::RootUnreachable {
                        root: config.describe(),
                        reason: error.to_string(),
                    });
                }
                Err(error) => error.to_string(),
            };
            tried.push(format!("{}: {failure}", config.describe()));
        }
        Err(KeyringError::NoRootOpens {
            path: path.to_path_buf(),
            tried: tried.join("; "),
        })
    }

    fn from_file(
        path: &Path,
        file: KeyringFile,
        slot: usize,
        root: Box<dyn RootKey>,
        check: bool,
    ) -> Result<Keyring, KeyringError> {
        let damaged = |reason: String| KeyringError::Damaged {
            path: path.to_path_buf(),
            reason,
        };
        let id: [u8; 16] = file
            .id
            .as_slice()
            .try_into()
            .map_err(|_| damaged("the keyring id is not 16 bytes".into()))?;
        if check {
            let wrapped = file
                .wrapped(slot, Secret::Integrity)
                .ok_or_else(|| damaged("a root has no integrity key".into()))?;
            let integrity_key = root.unwrap(&Secret::Integrity.label(&file), wrapped)?;
            let key = hmac::Key::new(hmac::HMAC_SHA256, &integrity_key);
            hmac::verify(&key, &file.unsigned_json(), &file.integrity).map_err(|_| {
                KeyringError::Altered {
                    path: path.to_path_buf(),
                }
            })?;
            // Only now, authenticated, is the list of wrappings worth judging.
            file.check_wrappings().map_err(damaged)?;
        }
        let newest = file
            .keks
            .last()
            .ok_or_else(|| damaged("it holds no key-encryption key".into()))?;
        let current = unwrap_kek(&*root, &file, slot, id, newest.version)?;
        let break_glass =
            file.break_glass
                .iter()
                .map(|record| {
                    Ok(BreakGlassPublic {
                        id: record
                            .id
                            .as_slice()
                            .try_into()
                            .map_err(|_| damaged("a break-glass key id is not 16 bytes".into()))?,
                        public: record.public.as_slice().try_into().map_err(|_| {
                            damaged("a break-glass public key is not 32 bytes".into())
                        })?,
                    })
                })
                .collect::<Result<Vec<_>, KeyringError>>()?;
        let mut roots: Vec<Option<Box<dyn RootKey>>> =
            std::iter::repeat_with(|| None).take(file.roots()).collect();
        roots[slot] = Some(root);
        Ok(Keyring {
            path: path.to_path_buf(),
            file,
            roots,
            opened_by: slot,
            current,
            break_glass,
        })
    }

    /// The root that opened the keyring.
    fn root(&self) -> &dyn RootKey {
        match self.roots.get(self.opened_by) {
            Some(Some(root)) => &**root,
            // `from_file` puts the opening root in its place, and nothing takes it out.
            _ => unreachable!("the keyring lost the root that opened it"),
        }
    }

    /// `secret`, unwrapped by the root that opened the keyring.
    fn unwrap_secret(&self, secret: Secret) -> Result<zeroize::Zeroizing<Vec<u8>>, KeyringError> {
        let wrapped =
            self.file
                .wrapped(self.opened_by, secret)
                .ok_or_else(|| KeyringError::Damaged {
                    path: self.path.clone(),
                    reason: format!("the root that opened it has no {secret:?} key"),
                })?;
        Ok(self.root().unwrap(&secret.label(&self.file), wrapped)?)
    }

    fn save(&self, new: bool) -> Result<(), KeyringError> {
        let mut file = self.file.clone();
        let integrity_key = self.unwrap_secret(Secret::Integrity)?;
        let key = hmac::Key::new(hmac::HMAC_SHA256, &integrity_key);
        file.integrity = hmac::sign(&key, &file.unsigned_json()).as_ref().to_vec();
        let mut json =
            serde_json::to_vec_pretty(&file).map_err(|e| KeyringError::Invalid(e.to_string()))?;
        json.push(b'\n');
        let written = if new {
            phiguard_home::write_private_file_new(&self.path, &json)
        } else {
            phiguard_home::replace_private_file(&self.path, &json)
        };
        written.map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                KeyringError::Exists {
                    path: self.path.clone(),
                }
            } else {
                KeyringError::Io {
                    action: "written",
                    path: self.path.clone(),
                    source,
                }
            }
        })
    }

    pub fn id(&self) -> [u8; 16] {
        self.current.keyring()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Who new seals are for: the current KEK and every enrolled break-glass key.
    pub fn recipients(&self) -> Recipients<'_> {
        Recipients {
            kek: &self.current,
            break_glass: &self.break_glass,
        }
    }

    pub fn current_version(&self) -> u32 {
        self.current.version()
    }

    /// Adds KEK version n+1 and makes it current. Older versions keep opening what they
    /// sealed until they are retired.
    ///
    /// The new version is wrapped under every root, so each keeps opening everything: a root
    /// not reached (see [`Keyring::reach_roots`]) or failing to wrap refuses the rotation,
    /// naming the root, and nothing is written.
    pub fn rotate(&mut self) -> Result<u32, KeyringError> {
        let version = self.current.version() + 1;
        let kek = KeyBytes::generate()?;
        let label = Secret::Kek(version).label(&self.file);
        let mut wrapped = Vec::with_capacity(self.roots.len());
        for slot in 0..self.roots.len() {
            let root = self.reached(slot)?;
            wrapped.push(
                root.wrap(&label, kek.expose())
                    .map_err(|e| self.unreachable(slot, e.to_string()))?,
            );
        }
        let mut wrapped = wrapped.into_iter();
        self.file.keks.push(KekRecord {
            version,
            created: Timestamp::now(),
            wrapped: wrapped.next().unwrap_or_default(),
        });
        for (wrapping, wrapped) in self.file.wrappings.iter_mut().zip(wrapped) {
            wrapping.keks.push(WrappedKek { version, wrapped });
        }
        self.current = Kek::new(self.id(), version, kek);
        self.save(false)?;
        Ok(version)
    }

    /// The root of `slot`, or the error naming it when it was not reached.
    fn reached(&self, slot: usize) -> Result<&dyn RootKey, KeyringError> {
        match self.roots.get(slot) {
            Some(Some(root)) => Ok(&**root),
            _ => Err(self.unreachable(
                slot,
                "it was not reached (it could not be opened)".to_owned(),
            )),
        }
    }

    fn unreachable(&self, slot: usize, reason: String) -> KeyringError {
        KeyringError::RootUnreachable {
            root: self
                .file
                .root_of(slot)
                .map(RootConfig::describe)
                .unwrap_or_else(|| format!("number {slot}")),
            reason,
        }
    }

    /// Opens every root not opened yet with `open_root`, and checks each unwraps the same
    /// integrity key as the root that opened the keyring (so it is the right key, reachable,
    /// and allowed to decrypt). Returns, for each root, the primary first, why it could not
    /// be used, or `None` when it can.
    pub fn reach_roots(
        &mut self,
        open_root: &mut RootOpener<'_>,
    ) -> Vec<(RootConfig, Option<String>)> {
        let expected = self.unwrap_secret(Secret::Integrity);
        let label = Secret::Integrity.label(&self.file);
        let mut reached = Vec::with_capacity(self.roots.len());
        for slot in 0..self.roots.len() {
            let Some(config) = self.file.root_of(slot).cloned() else {
                continue;
            };
            if self.roots[slot].is_some() {
                reached.push((config, None));
                continue;
            }
            let outcome = (|| -> Result<Box<dyn RootKey>, String> {
                let expected = expected.as_ref().map_err(|e| e.to_string())?;
                let root = open_root(&config).map_err(|e| e.to_string())?;
                let wrapped = self
                    .file
                    .wrapped(slot, Secret::Integrity)
                    .ok_or("it wraps no integrity key")?;
                let key = root.unwrap(&label, wrapped).map_err(|e| e.to_string())?;
                if key.as_slice() != expected.as_slice() {
                    return Err(
                        "it unwraps other keys than the rest of the keyring: its wrapping is damaged"
                            .to_owned(),
                    );
                }
                Ok(root)
            })();
            match outcome {
                Ok(root) => {
                    self.roots[slot] = Some(root);
                    reached.push((config, None));
                }
                Err(reason) => reached.push((config, Some(reason))),
            }
        }
        reached
    }

    /// Which root opened the keyring.
    pub fn opened_with(&self) -> Option<&RootConfig> {
        self.file.root_of(self.opened_by)
    }

    /// Wraps every secret of the keyring (each KEK version, retired ones included, the
    /// pseudonymisation and integrity keys) under `root` as well, and records it with
    /// `config`, so that root alone opens the keyring from now on. The new root unwraps what
    /// it wrapped before anything is written: a root that cannot be reached, or may encrypt
    /// but not decrypt, is refused and the keyring is left as it was.
    pub fn add_wrapping(
        &mut self,
        config: RootConfig,
        root: Box<dyn RootKey>,
    ) -> Result<(), KeyringError> {
        if (0..self.file.roots()).any(|slot| self.file.root_of(slot) == Some(&config)) {
            return Err(KeyringError::Invalid(format!(
                "{} already wraps this keyring",
                config.describe()
            )));
        }
        let refuse = |e: RootKeyError| KeyringError::RootUnreachable {
            root: config.describe(),
            reason: e.to_string(),
        };
        let wrap = |secret: Secret| -> Result<Vec<u8>, KeyringError> {
            let plain = self.unwrap_secret(secret)?;
            root.wrap(&secret.label(&self.file), &plain).map_err(refuse)
        };
        let mut keks = Vec::with_capacity(self.file.keks.len());
        for record in &self.file.keks {
            keks.push(WrappedKek {
                version: record.version,
                wrapped: wrap(Secret::Kek(record.version))?,
            });
        }
        let wrapping = WrappingRecord {
            root: config.clone(),
            created: Timestamp::now(),
            keks,
            pseudonym_key: wrap(Secret::Pseudonym)?,
            integrity_key: wrap(Secret::Integrity)?,
        };
        let back = root
            .unwrap(
                &Secret::Integrity.label(&self.file),
                &wrapping.integrity_key,
            )
            .map_err(refuse)?;
        if back.as_slice() != self.unwrap_secret(Secret::Integrity)?.as_slice() {
            return Err(KeyringError::RootUnreachable {
                root: config.describe(),
                reason: "it did not give back what it wrapped".to_owned(),
            });
        }
        self.file.wrappings.push(wrapping);
        self.roots.push(Some(root));
        if let Err(error) = self.save(false) {
            self.file.wrappings.pop();
            self.roots.pop();
            return Err(error);
        }
        Ok(())
    }

    /// Removes the additional wrapping under `config`. The primary root cannot be removed,
    /// and neither can the last wrapping this process reached: at least one root that stays
    /// must have opened the keyring (see [`Keyring::reach_roots`]), or the keyring could be
    /// left to roots nobody can use.
    pub fn remove_wrapping(&mut self, config: &RootConfig) -> Result<(), KeyringError> {
        if *config == self.file.root {
            return Err(KeyringError::Invalid(format!(
                "{} is the keyring's primary root and cannot be removed; only additional                  wrappings can",
                config.describe()
            )));
        }
        let Some(index) = self.file.wrappings.iter().position(|w| w.root == *config) else {
            return Err(KeyringError::Invalid(format!(
                "{} does not wrap this keyring",
                config.describe()
            )));
        };
        let slot = index + 1;
        let Some(keep) = (0..self.roots.len()).find(|s| *s != slot && self.roots[*s].is_some())
        else {
            let others: Vec<String> = (0..self.file.roots())
                .filter(|s| *s != slot)
                .filter_map(|s| self.file.root_of(s).map(RootConfig::describe))
                .collect();
            return Err(KeyringError::Invalid(format!(
                "refusing to remove {}: it is the only root that opens this keyring here, and                  none of the others ({}) could be reached, so nothing might open it afterwards",
                config.describe(),
                others.join(", ")
            )));
        };
        let previous = (self.file.clone(), self.opened_by);
        let removed_root = self.roots.remove(slot);
        self.file.wrappings.remove(index);
        let keep = if keep > slot { keep - 1 } else { keep };
        if self.opened_by == slot {
            self.opened_by = keep;
        } else if self.opened_by > slot {
            self.opened_by -= 1;
        }
        if let Err(error) = self.save(false) {
            (self.file, self.opened_by) = previous;
            self.roots.insert(slot, removed_root);
            return Err(error);
        }
        Ok(())
    }

    /// Retires every KEK version up to `version`: data still wrapped under them no longer
    /// opens (rewrap it first). Returns whether anything changed: retiring versions already
    /// retired changes nothing, and never brings a later one back.
    ///
    /// The current version is refused: it seals all new data and is the only version that
    /// opens what was sealed since the last rotation, so retiring it would leave nothing that
    /// opens that data.
    pub fn retire_through(&mut self, version: u32) -> Result<bool, KeyringError> {
        let current = self.current.version();
        if version == 0 || version > current {
            return Err(KeyringError::Invalid(format!(
                "there is no key-encryption key version {version}: this keyring has versions 1 \
                 to {current} (`phiguard keys list` shows them)"
            )));
        }
        if version == current {
            return Err(KeyringError::Invalid(format!(
                "version {version} cannot be retired: it is the current version, which seals \
                 all new data and is the only one that opens what was sealed since the last \
                 rotation, so nothing could open that data any more. To stop using it, run \
                 `phiguard keys rotate` (version {} becomes current), `phiguard keys rewrap \
                 FILE…` on the files sealed under it, then `phiguard keys retire {version}`",
                current + 1
            )));
        }
        let minimum = version + 1;
        if minimum <= self.file.min_decrypt_version {
            return Ok(false);
        }
        self.set_min_decrypt_version(minimum)?;
        Ok(true)
    }

    /// Refuses to open data sealed under KEK versions below `version`. Rewrap such data first.
    /// Unlike [`Keyring::retire_through`], it can lower the minimum again, bringing retired
    /// versions back.
    pub fn set_min_decrypt_version(&mut self, version: u32) -> Result<(), KeyringError> {
        if version == 0 || version > self.current.version() {
            return Err(KeyringError::Invalid(format!(
                "the minimum decryption version must be between 1 and the current version {}, not {version}",
                self.current.version()
            )));
        }
        self.file.min_decrypt_version = version;
        self.save(false)
    }

    /// Enrolls a break-glass recipient: everything sealed from now on can also be opened with
    /// its offline private key.
    pub fn enroll_break_glass(
        &mut self,
        public: BreakGlassPublic,
        note: &str,
    ) -> Result<(), KeyringError> {
        if self.break_glass.iter().any(|b| b.id == public.id) {
            return Err(KeyringError::Invalid(format!(
                "break-glass key {} is already enrolled",
                hex::encode(&public.id)
            )));
        }
        if self.break_glass.len() + 1 >= crate::format::MAX_STANZAS {
            return Err(KeyringError::Invalid(
                "too many break-glass keys are enrolled".into(),
            ));
        }
        self.file.break_glass.push(BreakGlassRecord {
            id: public.id.to_vec(),
            public: public.public.to_vec(),
            created: Timestamp::now(),
            note: note.to_owned(),
        });
        self.break_glass.push(public);
        self.save(false)
    }

    /// The pseudonymisation key: the same for the life of the installation, whatever KEK
    /// rotations happen, so a pseudonym made today matches one made years ago.
    pub fn pseudonymizer(&self) -> Result<Pseudonymizer, KeyringError> {
        let key = self.unwrap_secret(Secret::Pseudonym)?;
        let key = KeyBytes::from_slice(&key).ok_or_else(|| KeyringError::Damaged {
            path: self.path.clone(),
            reason: "the pseudonymisation key is not 32 bytes".into(),
        })?;
        Ok(Pseudonymizer::new(key))
    }

    pub fn summary(&self) -> KeyringSummary {
        let current = self.current.version();
        let minimum = self.file.min_decrypt_version;
        KeyringSummary {
            id: hex::encode(&self.file.id),
            provider: self.file.root.provider(),
            created: self.file.created,
            roots: std::iter::once((&self.file.root, self.file.created, true))
                .chain(
                    self.file
                        .wrappings
                        .iter()
                        .map(|w| (&w.root, w.created, false)),
                )
                .map(|(root, created, primary)| RootSummary {
                    provider: root.provider(),
                    key: root.key(),
                    region: match root {
                        RootConfig::AwsKms { region, .. } => Some(region.clone()),
                        _ => None,
                    },
                    primary,
                    created,
                })
                .collect(),
            keks: self
                .file
                .keks
                .iter()
                .map(|k| KekSummary {
                    version: k.version,
                    created: k.created,
                    state: if k.version == current {
                        "current"
                    } else if k.version < minimum {
                        "retired"
                    } else {
                        "active"
                    },
                })
                .collect(),
            current_version: current,
            min_decrypt_version: minimum,
            break_glass: self
                .file
                .break_glass
                .iter()
                .map(|b| BreakGlassSummary {
                    id: hex::encode(&b.id),
                    created: b.created,
                    note: b.note.clone(),
                })
                .collect(),
        }
    }

    fn kek(&self, version: u32) -> Result<Option<Kek>, KeyringError> {
        if version == self.current.version() {
            return Ok(Some(self.current.clone()));
        }
        if !self.file.keks.iter().any(|k| k.version == version) {
            return Ok(None);
        }
        Ok(Some(unwrap_kek(
            self.root(),
            &self.file,
            self.opened_by,
            self.id(),
            version,
        )?))
    }
}

fn unwrap_kek(
    root: &dyn RootKey,
    file: &KeyringFile,
    slot: usize,
    id: [u8; 16],
    version: u32,
) -> Result<Kek, KeyringError> {
    let wrapped = file.wrapped(slot, Secret::Kek(version)).ok_or_else(|| {
        KeyringError::Invalid(format!(
            "no root wraps key-encryption key version {version}"
        ))
    })?;
    let key = root.unwrap(&Secret::Kek(version).label(file), wrapped)?;
    let key = KeyBytes::from_slice(&key)
        .ok_or_else(|| KeyringError::Invalid("a key-encryption key is not 32 bytes".into()))?;
    Ok(Kek::new(id, version, key))
}

impl KeyOpener for Keyring {
    fn open_data_key(&self, header: &Header) -> Result<(KeyBytes, String), UnsealError> {
        let id = self.id();
        let minimum = self.file.min_decrypt_version;
        let mut retired = None;
        let mut unknown = None;
        for stanza in &header.stanzas {
            let Stanza::Kek {
                keyring, version, ..
            } = stanza
            else {
                continue;
            };
            if *keyring != id {
                continue;
            }
            if *version < minimum {
                retired = Some(*version);
                continue;
            }
            match self.kek(*version) {
                Ok(Some(kek)) => return kek.open_data_key(header),
                Ok(None) => unknown = Some(*version),
                Err(KeyringError::Root(e)) => return Err(UnsealError::Root(e)),
                Err(_) => {
                    return Err(UnsealError::DataKeyUnwrap {
                        recipient: stanza.describe(),
                    });
                }
            }
        }
        if let Some(version) = unknown {
            return Err(UnsealError::UnknownKekVersion {
                version,
                newest: self.current.version(),
            });
        }
        if let Some(version) = retired {
            return Err(UnsealError::RetiredKek { version, minimum });
        }
        Err(UnsealError::NoMatchingKey {
            sealed_for: wrap::describe_recipients(header),
            keyring: format!("keyring {}", hex::encode(&id)),
        })
    }
}

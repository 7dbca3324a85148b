//! The keyring: one installation's key-encryption keys, pseudonymisation key and
//! break-glass recipients, each stored wrapped by the root key, in `keys/keyring.json`.
//!
//! The file holds no key in clear. It is authenticated as a whole with a key that is itself
//! wrapped by the root, so nobody who can write the file but cannot use the root key can
//! enroll their own break-glass key, bring back a retired KEK, or swap versions.

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

    #[error(transparent)]
    Random(#[from] RandomUnavailable),
}

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
    /// HMAC-SHA256 of the file's JSON with this field empty.
    #[serde(with = "hex::bytes")]
    integrity: Vec<u8>,
}

impl KeyringFile {
    fn label(&self, what: &str) -> Vec<u8> {
        format!("phiguard keyring {} {what}", hex::encode(&self.id)).into_bytes()
    }

    fn unsigned_json(&self) -> Vec<u8> {
        let mut copy = self.clone();
        copy.integrity.clear();
        serde_json::to_vec(&copy).unwrap_or_default()
    }
}

/// What `phiguard keys list` shows: no secret, wrapped or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyringSummary {
    pub id: String,
    pub provider: &'static str,
    pub created: Timestamp,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BreakGlassSummary {
    pub id: String,
    pub created: Timestamp,
    pub note: String,
}

/// An open keyring: the file and the root key that unwraps it.
pub struct Keyring {
    path: PathBuf,
    file: KeyringFile,
    root: Box<dyn RootKey>,
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
        let keyring = Keyring::from_file(path, file, root, false)?;
        keyring.save(true)?;
        Ok(keyring)
    }

    /// Opens the keyring at `path` with its root key. A wrong passphrase, PIN or key file
    /// fails here, before anything is sealed or opened.
    pub fn open(path: &Path, root: Box<dyn RootKey>) -> Result<Keyring, KeyringError> {
        let file = read_file(path)?;
        Keyring::from_file(path, file, root, true)
    }

    fn from_file(
        path: &Path,
        file: KeyringFile,
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
            let integrity_key = root.unwrap(&file.label("integrity"), &file.integrity_key)?;
            let key = hmac::Key::new(hmac::HMAC_SHA256, &integrity_key);
            hmac::verify(&key, &file.unsigned_json(), &file.integrity).map_err(|_| {
                KeyringError::Altered {
                    path: path.to_path_buf(),
                }
            })?;
        }
        let newest = file
            .keks
            .last()
            .ok_or_else(|| damaged("it holds no key-encryption key".into()))?;
        let current = unwrap_kek(&*root, &file, id, newest)?;
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
        Ok(Keyring {
            path: path.to_path_buf(),
            file,
            root,
            current,
            break_glass,
        })
    }

    fn save(&self, new: bool) -> Result<(), KeyringError> {
        let mut file = self.file.clone();
        let integrity_key = self
            .root
            .unwrap(&file.label("integrity"), &file.integrity_key)?;
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
    pub fn rotate(&mut self) -> Result<u32, KeyringError> {
        let version = self.current.version() + 1;
        let kek = KeyBytes::generate()?;
        let record = KekRecord {
            version,
            created: Timestamp::now(),
            wrapped: self
                .root
                .wrap(&self.file.label(&format!("kek {version}")), kek.expose())?,
        };
        self.file.keks.push(record);
        self.current = Kek::new(self.id(), version, kek);
        self.save(false)?;
        Ok(version)
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
        let key = self
            .root
            .unwrap(&self.file.label("pseudonym"), &self.file.pseudonym_key)?;
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
        match self.file.keks.iter().find(|k| k.version == version) {
            Some(record) => Ok(Some(unwrap_kek(
                &*self.root,
                &self.file,
                self.id(),
                record,
            )?)),
            None => Ok(None),
        }
    }
}

fn unwrap_kek(
    root: &dyn RootKey,
    file: &KeyringFile,
    id: [u8; 16],
    record: &KekRecord,
) -> Result<Kek, KeyringError> {
    let key = root.unwrap(
        &file.label(&format!("kek {}", record.version)),
        &record.wrapped,
    )?;
    let key = KeyBytes::from_slice(&key)
        .ok_or_else(|| KeyringError::Invalid("a key-encryption key is not 32 bytes".into()))?;
    Ok(Kek::new(id, record.version, key))
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

//! The `pkcs11` root key provider: an AES-256 key generated inside a PKCS#11 token (an HSM, or
//! SoftHSM2) as sensitive and non-extractable, so the root key never exists outside the
//! token. phiguard only asks the token to encrypt and decrypt the small secrets it wraps.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::{AuthPin, Ulong};
use zeroize::Zeroizing;

use super::{NONCE_LEN, RootConfig, RootKey, RootKeyError, TAG_LEN};
use crate::secret::{KEY_LEN, random_array};

/// A root key inside a PKCS#11 token, reached through one logged-in session.
///
/// The PIN is used to log in and then dropped (cryptoki's `AuthPin` wipes it); it is never
/// stored, so neither `Debug` nor any error can show it.
pub struct Pkcs11Root {
    module: String,
    token: String,
    key_label: String,
    key: ObjectHandle,
    /// One session, logged in as the token's user. PKCS#11 sessions must not be used from two
    /// threads at once, and `RootKey` must be `Sync`, hence the mutex.
    session: Mutex<Session>,
}

impl fmt::Debug for Pkcs11Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Root")
            .field("module", &self.module)
            .field("token", &self.token)
            .field("key_label", &self.key_label)
            .finish_non_exhaustive()
    }
}

impl Pkcs11Root {
    /// Generates a new root key on the token labelled `token`: AES-256 (`CKM_AES_KEY_GEN`,
    /// `CKA_VALUE_LEN` 32), stored on the token, private, sensitive, not extractable, usable
    /// only to encrypt and decrypt. Refuses if the token already holds a key labelled
    /// `key_label`, so an existing root (and everything wrapped under it) is never shadowed.
    /// Returns the config to store in the keyring.
    pub fn create(
        module: &Path,
        token: &str,
        key_label: &str,
        pin: &str,
    ) -> Result<(RootConfig, Pkcs11Root), RootKeyError> {
        let module_name = module_name(module)?;
        let session = login(module, &module_name, token, pin, true)?;
        if !find_keys(&session, token, key_label)?.is_empty() {
            return Err(RootKeyError::KeyExistsOnToken {
                token: token.to_owned(),
                key_label: key_label.to_owned(),
            });
        }
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::ValueLen(Ulong::from(KEY_LEN as u64)),
            Attribute::Label(key_label.as_bytes().to_vec()),
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Wrap(false),
            Attribute::Unwrap(false),
            Attribute::Sign(false),
            Attribute::Verify(false),
            Attribute::Derive(false),
        ];
        let key = session
            .generate_key(&Mechanism::AesKeyGen, &template)
            .map_err(|e| token_error(token, "generate the AES-256 root key", e))?;
        let config = RootConfig::Pkcs11 {
            module: module_name.clone(),
            token: token.to_owned(),
            key_label: key_label.to_owned(),
        };
        let root = Pkcs11Root {
            module: module_name,
            token: token.to_owned(),
            key_label: key_label.to_owned(),
            key,
            session: Mutex::new(session),
        };
        Ok((config, root))
    }

    /// Opens the root key labelled `key_label` on the token labelled `token`, logging in
    /// with the user PIN.
    ///
    /// PKCS#11 keeps one login state per process and token: if this process is already
    /// logged in to the token (another `Pkcs11Root` on it is open), the token accepts the
    /// new session without checking `pin` again.
    pub fn open(
        module: &Path,
        token: &str,
        key_label: &str,
        pin: &str,
    ) -> Result<Pkcs11Root, RootKeyError> {
        let module_name = module_name(module)?;
        let session = login(module, &module_name, token, pin, false)?;
        let keys = find_keys(&session, token, key_label)?;
        let key = match keys.as_slice() {
            [] => {
                return Err(RootKeyError::KeyNotOnToken {
                    token: token.to_owned(),
                    key_label: key_label.to_owned(),
                });
            }
            [key] => *key,
            more => {
                return Err(RootKeyError::Token {
                    token: token.to_owned(),
                    action: "find the root key",
                    reason: format!(
                        "{} secret keys are labelled {key_label:?}, so which one is the root \
                         key is ambiguous; give the others different labels",
                        more.len()
                    ),
                });
            }
        };
        Ok(Pkcs11Root {
            module: module_name,
            token: token.to_owned(),
            key_label: key_label.to_owned(),
            key,
            session: Mutex::new(session),
        })
    }

    fn token_err(&self, action: &'static str) -> impl Fn(CkError) -> RootKeyError + '_ {
        move |e| token_error(&self.token, action, e)
    }

    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        // A panic while the lock was held cannot have left an operation half done: every use
        // below is one complete C_Encrypt or C_Decrypt inside a cryptoki call.
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl RootKey for Pkcs11Root {
    /// C_Encrypt with CKM_AES_GCM on the token: a fresh random 96-bit IV (from aws-lc-rs, so
    /// IV quality does not depend on the token's generator), `label` as AAD, a 128-bit tag.
    /// Output: `iv ‖ ciphertext ‖ tag`.
    fn wrap(&self, label: &[u8], secret: &[u8]) -> Result<Vec<u8>, RootKeyError> {
        let mut iv = random_array::<NONCE_LEN>()?;
        let sealed = {
            let params = GcmParams::new(&mut iv, label, Ulong::from((TAG_LEN * 8) as u64))
                .map_err(self.token_err("wrap a secret"))?;
            self.session()
                .encrypt(&Mechanism::AesGcm(params), self.key, secret)
                .map_err(self.token_err("wrap a secret"))?
        };
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&iv);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// C_Decrypt with CKM_AES_GCM. A tag that does not verify (another key, another label,
    /// altered bytes) is [`RootKeyError::WrongRootKey`].
    fn unwrap(&self, label: &[u8], wrapped: &[u8]) -> Result<Zeroizing<Vec<u8>>, RootKeyError> {
        if wrapped.len() < NONCE_LEN + TAG_LEN {
            return Err(RootKeyError::WrongRootKey);
        }
        let (iv, sealed) = wrapped.split_at(NONCE_LEN);
        let mut iv = iv.to_vec();
        let params = GcmParams::new(&mut iv, label, Ulong::from((TAG_LEN * 8) as u64))
            .map_err(self.token_err("unwrap a secret"))?;
        let result = self
            .session()
            .decrypt(&Mechanism::AesGcm(params), self.key, sealed);
        match result {
            Ok(plaintext) => Ok(Zeroizing::new(plaintext)),
            Err(e) if is_authentication_failure(&e) => Err(RootKeyError::WrongRootKey),
            Err(e) => Err(token_error(&self.token, "unwrap a secret", e)),
        }
    }
}

/// Whether C_Decrypt failed because the GCM tag did not verify. The standard return value is
/// CKR_ENCRYPTED_DATA_INVALID; SoftHSM2 reports a failed tag check as CKR_GENERAL_ERROR from
/// C_Decrypt itself (not from C_DecryptInit), so that is read as the same thing.
fn is_authentication_failure(e: &CkError) -> bool {
    use cryptoki::context::Function;
    matches!(
        e,
        CkError::Pkcs11(
            RvError::EncryptedDataInvalid | RvError::EncryptedDataLenRange | RvError::GeneralError,
            Function::Decrypt
        )
    )
}

/// The module path as the keyring records it, which must be valid UTF-8.
fn module_name(module: &Path) -> Result<String, RootKeyError> {
    module
        .to_str()
        .map(str::to_owned)
        .ok_or_else(|| RootKeyError::ModuleUnavailable {
            module: module.display().to_string(),
            reason: "the path is not valid UTF-8, so the keyring could not record it".to_owned(),
        })
}

/// Loads the module (once per process), finds the token, opens a session and logs in as the
/// token's user. Creating a key needs a read-write session; using one does not.
fn login(
    module: &Path,
    module_name: &str,
    token: &str,
    pin: &str,
    read_write: bool,
) -> Result<Session, RootKeyError> {
    let pkcs11 = loaded_module(module, module_name)?;
    let slot = find_token(&pkcs11, token)?;
    let session = if read_write {
        pkcs11.open_rw_session(slot)
    } else {
        pkcs11.open_ro_session(slot)
    }
    .map_err(|e| token_error(token, "open a session", e))?;
    let pin = AuthPin::from(pin);
    match session.login(UserType::User, Some(&pin)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
        Err(CkError::Pkcs11(RvError::PinIncorrect | RvError::PinLenRange, _)) => {
            return Err(RootKeyError::PinIncorrect {
                token: token.to_owned(),
            });
        }
        Err(CkError::Pkcs11(RvError::PinLocked, _)) => {
            return Err(RootKeyError::PinLocked {
                token: token.to_owned(),
            });
        }
        Err(e) => return Err(token_error(token, "log in as its user", e)),
    }
    Ok(session)
}

/// Every PKCS#11 context this process has loaded and initialised, by module path.
///
/// PKCS#11 allows one C_Initialize per module per process, and a module's state (its slots,
/// its login state) is shared by everything in the process. So the module is loaded and
/// initialised once and kept for the life of the process: C_Finalize is never called, because
/// another root (or another component) may still be using the module, and finalising or
/// unloading it would pull the ground from under them. The operating system releases it at
/// exit.
static MODULES: Mutex<Vec<(PathBuf, Pkcs11)>> = Mutex::new(Vec::new());

fn loaded_module(module: &Path, module_name: &str) -> Result<Pkcs11, RootKeyError> {
    let mut modules = MODULES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((_, pkcs11)) = modules.iter().find(|(path, _)| path == module) {
        return Ok(pkcs11.clone());
    }
    let unavailable = |reason: String| RootKeyError::ModuleUnavailable {
        module: module_name.to_owned(),
        reason,
    };
    if !module.exists() {
        return Err(unavailable(
            "no file exists at that path; install the HSM vendor's PKCS#11 library (for \
             SoftHSM2: `apt-get install softhsm2`, module /usr/lib/softhsm/libsofthsm2.so) or \
             correct the path"
                .to_owned(),
        ));
    }
    let pkcs11 = Pkcs11::new(module).map_err(|e| unavailable(e.to_string()))?;
    match pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        // Something else in this process initialised the module already; its state is shared.
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => {
            return Err(unavailable(format!(
                "its C_Initialize failed ({e}); for SoftHSM2, check that the configuration \
                 file (SOFTHSM2_CONF, else /etc/softhsm/softhsm2.conf) exists, is readable, \
                 and names a token directory this user can write"
            )));
        }
    }
    modules.push((module.to_path_buf(), pkcs11.clone()));
    Ok(pkcs11)
}

/// The slot holding the initialised token labelled `token`. The error lists the labels that
/// are present, since a typo or a token on another machine is the usual cause.
fn find_token(pkcs11: &Pkcs11, token: &str) -> Result<Slot, RootKeyError> {
    let err = |action: &'static str| move |e| token_error(token, action, e);
    let slots = pkcs11
        .get_slots_with_initialized_token()
        .map_err(err("list its slots"))?;
    let mut found = Vec::new();
    let mut matching = Vec::new();
    for slot in slots {
        let info = pkcs11
            .get_token_info(slot)
            .map_err(err("describe a token"))?;
        if info.label() == token {
            matching.push(slot);
        }
        found.push(format!("{:?}", info.label()));
    }
    match matching.as_slice() {
        [slot] => Ok(*slot),
        [] => Err(RootKeyError::TokenNotFound {
            token: token.to_owned(),
            found: if found.is_empty() {
                "none".to_owned()
            } else {
                found.join(", ")
            },
        }),
        more => Err(RootKeyError::Token {
            token: token.to_owned(),
            action: "find the token",
            reason: format!(
                "{} tokens carry this label, so which one holds the root key is ambiguous; \
                 give each token a unique label",
                more.len()
            ),
        }),
    }
}

/// Secret keys labelled `key_label` on the session's token.
fn find_keys(
    session: &Session,
    token: &str,
    key_label: &str,
) -> Result<Vec<ObjectHandle>, RootKeyError> {
    session
        .find_objects(&[
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::Label(key_label.as_bytes().to_vec()),
        ])
        .map_err(|e| token_error(token, "search for the root key", e))
}

fn token_error(token: &str, action: &'static str, e: CkError) -> RootKeyError {
    RootKeyError::Token {
        token: token.to_owned(),
        action,
        reason: e.to_string(),
    }
}

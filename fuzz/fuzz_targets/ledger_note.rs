//! Signed notes and checkpoints (`phiguard_ledger::note`): the checkpoint text, verifier,
//! witness (cosigner) and signing key strings, and a note opened with a fixed key (a published
//! test key of Go's `golang.org/x/mod/sumdb/note`), which parses every signature line, checked
//! for a cosignature and opened as a witness anchor.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiguard_ledger::Anchor;
use phiguard_ledger::note::{self, Checkpoint, CosignerKey, SigningKey, VerifierKey};

const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(checkpoint) = Checkpoint::parse_text(text) {
        let _ = checkpoint.validate();
        // One spelling: what parses must print back as the same text.
        assert_eq!(checkpoint.to_text(), text);
    }
    let _ = VerifierKey::parse(text);
    let _ = CosignerKey::parse(text);
    let _ = SigningKey::from_private_key(text);
    let _ = note::note_text(text);
    if let Ok(key) = VerifierKey::parse(PETER_VKEY) {
        let _ = key.open(text);
        let _ = note::open_checkpoint(text, &key);
        let _ = Anchor::open(text, "fuzz".into(), &key, &[]);
        // The same public key as a witness's: its cosignature lines are decoded too.
        if let Ok(key) = SigningKey::from_private_key(PETER_SKEY) {
            let _ = key.cosigner().verify(text);
        }
    }
});

//! Hostile inputs that need the crate's internals to build: headers whose recipients hold
//! different data keys, recipients of unknown kinds, and the documented example checked
//! against the code's own key derivation, header signing and frame sealing.

use super::*;
use crate::format::{MAX_STANZAS, SUITE_AES256GCM_HKDF_SHA256, VERSION};
use crate::secret::random_array;
use crate::wrap::BreakGlassSecret;

fn kek(version: u32) -> Kek {
    Kek::new([0x42; 16], version, KeyBytes::generate().unwrap())
}

fn break_glass() -> (BreakGlassSecret, BreakGlassPublic) {
    let secret = BreakGlassSecret::generate().unwrap();
    let public = secret.public().unwrap();
    (secret, public)
}

/// Appends one frame's ciphertext and tag to `out`, as the sealer lays it out; the tests
/// use it to build frames under keys the sealer would never use.
fn seal_frame_into(
    key: &LessSafeKey,
    index: u64,
    kind: u8,
    length: Option<u32>,
    plaintext: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), SealError> {
    let start = out.len();
    out.extend_from_slice(plaintext);
    let tag = key
        .seal_in_place_separate_tag(
            nonce(index),
            Aad::from(frame_aad(index, kind, length)),
            &mut out[start..],
        )
        .map_err(|_| SealError::Cipher)?;
    out.extend_from_slice(tag.as_ref());
    Ok(())
}

fn context() -> Context {
    let mut context = Context::new();
    context.insert("purpose", "backup").unwrap();
    context
}

/// Signs `header` with `header_key`'s message keys and appends frames of `plaintext`
/// sealed with `frame_key`'s: the two keys differ only in the attacks below.
fn assemble(
    header: &mut Header,
    header_key: &KeyBytes,
    frame_key: &KeyBytes,
    plaintext: &[u8],
) -> Vec<u8> {
    sign_header_with(header_key, header);
    let keys = MessageKeys::derive(frame_key, &header.message_id).unwrap();
    let mut out = header.encode();
    let frame_size = header.frame_size as usize;
    let mut chunks = plaintext.chunks_exact(frame_size);
    let mut index = 0;
    for chunk in &mut chunks {
        out.push(KIND_REGULAR);
        seal_frame_into(&keys.frames, index, KIND_REGULAR, None, chunk, &mut out).unwrap();
        index += 1;
    }
    let rest = chunks.remainder();
    let length = rest.len() as u32;
    out.push(KIND_FINAL);
    out.extend_from_slice(&length.to_be_bytes());
    seal_frame_into(
        &keys.frames,
        index,
        KIND_FINAL,
        Some(length),
        rest,
        &mut out,
    )
    .unwrap();
    out
}

fn commitment(data_key: &KeyBytes, message_id: &[u8; 32]) -> [u8; 32] {
    *MessageKeys::derive(data_key, message_id)
        .unwrap()
        .commitment
        .expose()
}

#[test]
fn assembled_messages_open() {
    // The helper itself builds what `seal` builds.
    let kek = kek(1);
    let data_key = KeyBytes::generate().unwrap();
    let message_id = random_array().unwrap();
    let mut header = Header {
        frame_size: FRAME_SIZE,
        message_id,
        context: context(),
        stanzas: vec![kek.wrap(&message_id, &data_key).unwrap()],
        commitment: commitment(&data_key, &message_id),
        tag: [0; 32],
    };
    let data = vec![7u8; FRAME_SIZE as usize + 3];
    let sealed = assemble(&mut header, &data_key, &data_key, &data);
    let (opened, plain) = unseal(&kek, &sealed).unwrap();
    assert_eq!(plain, data);
    assert_eq!(opened.context, context());
}

/// Two recipients holding different data keys: the KEK stanza wraps `dk1`, the break-glass
/// stanza `dk2`. Without a key commitment each recipient could be shown a different
/// plaintext (AES-GCM is not key-committing); with it, only the key the header commits to
/// opens anything.
#[test]
fn a_recipient_holding_another_data_key_is_refused() {
    let kek = kek(1);
    let (secret, public) = break_glass();
    let dk1 = KeyBytes::generate().unwrap();
    let dk2 = KeyBytes::generate().unwrap();
    let message_id = random_array().unwrap();
    let header = Header {
        frame_size: FRAME_SIZE,
        message_id,
        context: context(),
        stanzas: vec![
            kek.wrap(&message_id, &dk1).unwrap(),
            public.wrap(&message_id, &dk2).unwrap(),
        ],
        commitment: [0; 32],
        tag: [0; 32],
    };
    let data = b"the record as the KEK holder sees it".to_vec();

    // Committed to, signed with, and encrypted under dk1.
    let mut h = header.clone();
    h.commitment = commitment(&dk1, &message_id);
    let sealed = assemble(&mut h, &dk1, &dk1, &data);
    assert_eq!(unseal(&kek, &sealed).unwrap().1, data);
    assert!(matches!(
        unseal(&secret, &sealed),
        Err(UnsealError::KeyCommitment)
    ));
    let mut out = Vec::new();
    assert!(matches!(
        unseal_stream(&secret, &sealed[..], &mut out, &mut |_| {}),
        Err(UnsealError::KeyCommitment)
    ));
    assert!(
        out.is_empty(),
        "no plaintext before the commitment is checked"
    );
    let mut out = Vec::new();
    assert!(matches!(
        rewrap_stream(
            &secret,
            Recipients {
                kek: &kek,
                break_glass: &[]
            },
            &sealed[..],
            &mut out
        ),
        Err(UnsealError::KeyCommitment)
    ));
    assert!(out.is_empty());

    // Committed to dk1 but signed with dk2: the break-glass holder is still refused at the
    // commitment, and the KEK holder at the tag.
    let mut h = header.clone();
    h.commitment = commitment(&dk1, &message_id);
    let sealed = assemble(&mut h, &dk2, &dk1, &data);
    assert!(matches!(
        unseal(&secret, &sealed),
        Err(UnsealError::KeyCommitment)
    ));
    assert!(matches!(
        unseal(&kek, &sealed),
        Err(UnsealError::HeaderAltered)
    ));

    // Committed to and signed with dk2, frames under dk1: the KEK holder is refused at the
    // commitment, and the break-glass holder gets no frame.
    let mut h = header.clone();
    h.commitment = commitment(&dk2, &message_id);
    let sealed = assemble(&mut h, &dk2, &dk1, &data);
    assert!(matches!(
        unseal(&kek, &sealed),
        Err(UnsealError::KeyCommitment)
    ));
    assert!(matches!(
        unseal(&secret, &sealed),
        Err(UnsealError::FrameAltered { index: 0 })
    ));
}

#[test]
fn an_edited_commitment_is_refused_before_the_tag() {
    let kek = kek(1);
    let data_key = KeyBytes::generate().unwrap();
    let message_id = random_array().unwrap();
    let mut header = Header {
        frame_size: FRAME_SIZE,
        message_id,
        context: context(),
        stanzas: vec![kek.wrap(&message_id, &data_key).unwrap()],
        commitment: commitment(&data_key, &message_id),
        tag: [0; 32],
    };
    header.commitment[31] ^= 1;
    // Signed over the edited commitment, so only the commitment check can catch it.
    let sealed = assemble(&mut header, &data_key, &data_key, b"x");
    assert!(matches!(
        unseal(&kek, &sealed),
        Err(UnsealError::KeyCommitment)
    ));
}

/// A message for `recipients` with extra stanzas of unknown kinds, properly signed.
fn with_unknown_stanzas(recipients: Recipients<'_>, unknown: usize, data: &[u8]) -> Vec<u8> {
    let (mut header, keys) = new_message(recipients, &context()).unwrap();
    for i in 0..unknown {
        header.stanzas.push(Stanza::Unknown {
            kind: 200 + i as u8,
            body: vec![i as u8; 3 + i],
        });
    }
    keys.sign(&mut header);
    let mut out = header.encode();
    let length = data.len() as u32;
    out.push(KIND_FINAL);
    out.extend_from_slice(&length.to_be_bytes());
    seal_frame_into(&keys.frames, 0, KIND_FINAL, Some(length), data, &mut out).unwrap();
    out
}

#[test]
fn rewrap_keeps_recipients_of_unknown_kinds() {
    let v1 = kek(1);
    let v2 = kek(2);
    let sealed = with_unknown_stanzas(
        Recipients {
            kek: &v1,
            break_glass: &[],
        },
        2,
        b"data",
    );
    let (opened, plain) = unseal(&v1, &sealed).unwrap();
    assert_eq!(plain, b"data");
    assert_eq!(opened.recipients.len(), 3);
    assert!(opened.recipients[1].contains("unknown kind 200"));

    let mut out = Vec::new();
    let header = rewrap_stream(
        &v1,
        Recipients {
            kek: &v2,
            break_glass: &[],
        },
        &sealed[..],
        &mut out,
    )
    .unwrap();
    assert!(matches!(header.stanzas[0], Stanza::Kek { version: 2, .. }));
    assert_eq!(
        header.stanzas[1..],
        [
            Stanza::Unknown {
                kind: 200,
                body: vec![0; 3]
            },
            Stanza::Unknown {
                kind: 201,
                body: vec![1; 4]
            },
        ]
    );
    assert_eq!(unseal(&v2, &out).unwrap().1, b"data");
}

/// `rewrap_stream` adds the new recipients to the kept unknown ones without checking the
/// total against `MAX_STANZAS`, so it can write (and report as a success) a header that no
/// reader accepts. It must refuse instead, before writing anything.
#[test]
fn rewrap_never_writes_a_header_it_cannot_read() {
    let v1 = kek(1);
    let v2 = kek(2);
    let (secret, public) = break_glass();
    // 1 KEK + 15 unknown = 16 recipients: the most a header may have.
    let sealed = with_unknown_stanzas(
        Recipients {
            kek: &v1,
            break_glass: &[],
        },
        MAX_STANZAS - 1,
        b"data",
    );
    assert_eq!(unseal(&v1, &sealed).unwrap().1, b"data");

    // Rewrapping to a KEK and a break-glass key would make 17.
    let mut out = Vec::new();
    let result = rewrap_stream(
        &v1,
        Recipients {
            kek: &v2,
            break_glass: std::slice::from_ref(&public),
        },
        &sealed[..],
        &mut out,
    );
    match result {
        Err(_) => assert!(out.is_empty(), "refused, but after writing"),
        Ok(header) => {
            assert!(
                header.stanzas.len() <= MAX_STANZAS,
                "rewrap reported success but wrote {} recipients; opening that gives {:?}",
                header.stanzas.len(),
                unseal(&v2, &out).map(|(opened, _)| opened)
            );
            assert_eq!(unseal(&v2, &out).unwrap().1, b"data");
            assert_eq!(unseal(&secret, &out).unwrap().1, b"data");
        }
    }
}

#[test]
fn frame_nonce_and_additional_data_layout() {
    // Nonce: 4 zero bytes, then the frame index as a big-endian u64.
    let mut expected = [0u8; NONCE_LEN];
    expected[4..].copy_from_slice(&0x0102_0304_0506_0708u64.to_be_bytes());
    assert_eq!(nonce(0x0102_0304_0506_0708).as_ref(), &expected);
    // Additional data: always 13 bytes, index ‖ kind ‖ length, the length 0 for a regular
    // frame.
    assert_eq!(
        frame_aad(5, KIND_REGULAR, None),
        [0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0]
    );
    assert_eq!(
        frame_aad(5, KIND_FINAL, Some(0x0a0b)),
        [0, 0, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0x0a, 0x0b]
    );
    assert_eq!(VERSION, 1);
    assert_eq!(SUITE_AES256GCM_HKDF_SHA256, 1);
    assert_eq!(FRAME_SIZE, 65536);
}

/// The hex dump of the worked example in `docs/formats/ciphertext.md` §9: the fenced block
/// after the line that starts with "The complete object".
fn documented_example() -> Vec<u8> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/formats/ciphertext.md"
    );
    let doc = std::fs::read_to_string(path).unwrap();
    let start = doc
        .find("The complete object")
        .expect("the document has the example");
    let block = doc[start..].split("```").nth(1).unwrap();
    let hex: String = block
        .lines()
        .skip(1)
        .flat_map(|line| line.split_whitespace())
        .collect();
    phiguard_core::hex::decode(&hex).unwrap()
}

#[test]
fn the_documented_example_is_what_this_code_derives_signs_and_seals() {
    let seq = |start: u8| -> [u8; 32] { std::array::from_fn(|i| start + i as u8) };
    let sealed = documented_example();
    let header = Header::read(&mut &sealed[..]).unwrap();
    let header_len = header.encode().len();
    assert_eq!(header.encode(), sealed[..header_len]);
    assert_eq!(header.message_id, seq(0xa0));

    // The KEK stanza unwraps to the example's data key with this code's unwrap.
    let kek = Kek::new(
        std::array::from_fn(|i| 0x70 + i as u8),
        1,
        KeyBytes::from_array(seq(0x20)),
    );
    let (data_key, _) = kek.open_data_key(&header).unwrap();
    assert_eq!(data_key.expose(), &seq(0x00));
    let secret = BreakGlassSecret::from_text(
        "PHIGUARD-BREAK-GLASS-KEY-1-e0e1e2e3e4e5e6e7e8e9eaebecedeeef-\
         5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
    )
    .unwrap();
    assert_eq!(
        secret.open_data_key(&header).unwrap().0.expose(),
        &seq(0x00)
    );

    // Commitment, tag and frame are what this code derives, signs and seals.
    let keys = MessageKeys::derive(&data_key, &header.message_id).unwrap();
    assert_eq!(keys.commitment.expose(), &header.commitment);
    let mut resigned = header.clone();
    resigned.tag = [0; 32];
    keys.sign(&mut resigned);
    assert_eq!(resigned.tag, header.tag);
    let plaintext = b"hello, phiguard\n";
    let length = plaintext.len() as u32;
    let mut frame = vec![KIND_FINAL];
    frame.extend_from_slice(&length.to_be_bytes());
    seal_frame_into(
        &keys.frames,
        0,
        KIND_FINAL,
        Some(length),
        plaintext,
        &mut frame,
    )
    .unwrap();
    assert_eq!(sealed[header_len..], frame[..]);
}

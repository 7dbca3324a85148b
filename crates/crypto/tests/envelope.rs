#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The sealed format through the public API: round trips at every size that matters, each way
//! sealed data can be damaged or attacked (each with its own error), break-glass keys,
//! rewrapping, hostile input, and the worked example of `docs/formats/ciphertext.md`, built
//! again here from that document alone (module `spec`) and opened by the crate.

use std::io::{self, Read, Write};

use phiguard_core::hex;
use phiguard_crypto::format::{Header, MAGIC, Stanza};
use phiguard_crypto::{
    BreakGlassPublic, BreakGlassSecret, Context, Kek, KeyBytes, KeyOpener, Opened, Recipients,
    SealError, UnsealError, read_header, rewrap_stream, seal, seal_stream, unseal, unseal_stream,
};
use proptest::prelude::*;

const FRAME: usize = 64 * 1024;
const TAG: usize = 16;
/// Bytes of one regular frame: kind, ciphertext, tag.
const REGULAR: usize = 1 + FRAME + TAG;
/// Bytes the final frame adds beyond its plaintext: kind, length, tag.
const FINAL_OVERHEAD: usize = 1 + 4 + TAG;
/// Frames the implementation gathers into one read or write.
const BATCH: usize = 16;

/// Sizes at and around every boundary: empty, frame, two frames, batch, and several MiB.
const SIZES: &[usize] = &[
    0,
    1,
    FRAME - 1,
    FRAME,
    FRAME + 1,
    2 * FRAME,
    BATCH * FRAME - 1,
    BATCH * FRAME,
    BATCH * FRAME + 1,
    5 * 1024 * 1024 + 3,
];

/// Fails with the actual value when `$result` is not an error matching `$pattern`.
macro_rules! assert_err {
    ($result:expr, $pattern:pat $(if $guard:expr)? $(,)?) => {
        match $result {
            Err(error) => assert!(
                matches!(error, $pattern $(if $guard)?),
                "expected {}, got {error:?}",
                stringify!($pattern $(if $guard)?)
            ),
            Ok(_) => panic!("expected {}, got Ok", stringify!($pattern $(if $guard)?)),
        }
    };
    ($result:expr, $pattern:pat $(if $guard:expr)?, $($context:tt)+) => {
        match $result {
            Err(error) => assert!(
                matches!(error, $pattern $(if $guard)?),
                "{}: expected {}, got {error:?}",
                format!($($context)+),
                stringify!($pattern $(if $guard)?)
            ),
            Ok(_) => panic!(
                "{}: expected {}, got Ok",
                format!($($context)+),
                stringify!($pattern $(if $guard)?)
            ),
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `len` pseudo-random bytes from `seed`.
fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&splitmix(&mut state).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn kek(keyring: u8, version: u32) -> Kek {
    Kek::new([keyring; 16], version, KeyBytes::generate().unwrap())
}

fn context(pairs: &[(&str, &str)]) -> Context {
    let mut context = Context::new();
    for (key, value) in pairs {
        context.insert(key, value).unwrap();
    }
    context
}

fn only(kek: &Kek) -> Recipients<'_> {
    Recipients {
        kek,
        break_glass: &[],
    }
}

fn header_len(sealed: &[u8]) -> usize {
    read_header(sealed).unwrap().encode().len()
}

/// The sealed size the format promises for `plaintext` bytes.
fn expected_size(header: usize, plaintext: usize) -> usize {
    header + plaintext / FRAME * REGULAR + FINAL_OVERHEAD + plaintext % FRAME
}

/// Sealed data cut into its header, regular frames and final frame.
struct Parts {
    header: Vec<u8>,
    regular: Vec<Vec<u8>>,
    last: Vec<u8>,
}

impl Parts {
    fn of(sealed: &[u8]) -> Parts {
        let start = header_len(sealed);
        let body = &sealed[start..];
        let count = (body.len() - FINAL_OVERHEAD) / REGULAR;
        let regular = body[..count * REGULAR]
            .chunks_exact(REGULAR)
            .map(<[u8]>::to_vec)
            .collect();
        Parts {
            header: sealed[..start].to_vec(),
            regular,
            last: body[count * REGULAR..].to_vec(),
        }
    }

    fn join(&self) -> Vec<u8> {
        let mut out = self.header.clone();
        for frame in &self.regular {
            out.extend_from_slice(frame);
        }
        out.extend_from_slice(&self.last);
        out
    }
}

/// A reader that hands out 1 to `max` bytes per call and is sometimes interrupted.
struct ShortReader<'a> {
    data: &'a [u8],
    rng: u64,
    max: usize,
}

impl Read for ShortReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let roll = splitmix(&mut self.rng);
        if roll.is_multiple_of(11) {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = (1 + (roll >> 8) as usize % self.max)
            .min(buf.len())
            .min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// A writer that takes 1 to `max` bytes per call and is sometimes interrupted.
struct ShortWriter {
    out: Vec<u8>,
    rng: u64,
    max: usize,
}

impl Write for ShortWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let roll = splitmix(&mut self.rng);
        if roll.is_multiple_of(13) {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = (1 + (roll >> 8) as usize % self.max).min(buf.len());
        self.out.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Seals and opens `data` every way (in memory, streamed, streamed through short reads and
/// writes) and checks that all agree.
fn round_trip(data: &[u8], context: &Context, seed: u64, max_io: usize) {
    let kek = kek(7, 3);
    let sealed = seal(only(&kek), context, data).unwrap();
    let header = header_len(&sealed);
    assert_eq!(sealed.len(), expected_size(header, data.len()));

    // Streamed, through short reads and writes, with progress reports.
    let mut streamed = ShortWriter {
        out: Vec::new(),
        rng: seed,
        max: max_io,
    };
    let mut progress = Vec::new();
    let total = seal_stream(
        only(&kek),
        context,
        ShortReader {
            data,
            rng: seed ^ 1,
            max: max_io,
        },
        &mut streamed,
        &mut |done| progress.push(done),
    )
    .unwrap();
    assert_eq!(total, data.len() as u64);
    assert_eq!(progress.last(), Some(&(data.len() as u64)));
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    let streamed = streamed.out;
    assert_eq!(
        streamed.len(),
        sealed.len(),
        "stream and memory sizes differ"
    );
    assert_eq!(header_len(&streamed), header);
    assert_ne!(
        streamed, sealed,
        "two seals must differ (fresh data key and id)"
    );

    for (form, bytes) in [("memory", &sealed), ("stream", &streamed)] {
        let (opened, plain) = unseal(&kek, bytes).unwrap();
        assert!(plain == data, "{form}: plaintext differs");
        check_opened(&opened, context, data.len());

        let mut out = ShortWriter {
            out: Vec::new(),
            rng: seed ^ 2,
            max: max_io,
        };
        let mut progress = Vec::new();
        let opened = unseal_stream(
            &kek,
            ShortReader {
                data: bytes,
                rng: seed ^ 3,
                max: max_io,
            },
            &mut out,
            &mut |done| progress.push(done),
        )
        .unwrap();
        assert!(out.out == data, "{form}: streamed plaintext differs");
        check_opened(&opened, context, data.len());
        assert_eq!(progress.last(), Some(&(data.len() as u64)));
    }
}

fn check_opened(opened: &Opened, context: &Context, len: usize) {
    assert_eq!(&opened.context, context);
    assert_eq!(opened.plaintext_bytes, len as u64);
    assert_eq!(opened.recipients.len(), 1);
    assert!(opened.opened_with.contains("key-encryption key version 3"));
}

// ---------------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------------

#[test]
fn round_trips_at_frame_and_batch_boundaries() {
    let context = context(&[("purpose", "backup"), ("record", "p-7f3a9c")]);
    for (i, &size) in SIZES.iter().enumerate() {
        let data = content(i as u64, size);
        // Tiny reads and writes where that stays fast; large uneven ones for the big sizes.
        let max_io = if size <= 2 * FRAME + 1 { 7 } else { 3 * FRAME };
        round_trip(&data, &context, 0x5eed + i as u64, max_io);
    }
}

#[test]
fn an_empty_context_and_an_empty_value_round_trip() {
    round_trip(b"x", &Context::new(), 1, 3);
    round_trip(b"", &context(&[("k", "")]), 2, 3);
}

fn context_strategy() -> impl Strategy<Value = Context> {
    prop::collection::btree_map("[a-zA-Z0-9._-]{1,24}", "\\PC{0,40}", 0..6).prop_map(|pairs| {
        let mut context = Context::new();
        for (key, value) in pairs {
            context.insert(&key, &value).unwrap();
        }
        context
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn seal_and_stream_round_trip(
        size in prop_oneof![prop::sample::select(SIZES.to_vec()), 0..3 * FRAME + 2],
        seed in any::<u64>(),
        context in context_strategy(),
        max_io in 1usize..200_000,
    ) {
        round_trip(&content(seed, size), &context, seed, max_io);
    }
}

// ---------------------------------------------------------------------------------------------
// Tampering: each kind of damage, its own error
// ---------------------------------------------------------------------------------------------

/// A message of three regular frames and a final frame of 100 bytes.
struct Sample {
    kek: Kek,
    context: Context,
    data: Vec<u8>,
    sealed: Vec<u8>,
}

fn sample() -> Sample {
    let kek = kek(1, 1);
    let context = context(&[("purpose", "backup"), ("record", "p-7f3a9c")]);
    let data = content(42, 3 * FRAME + 100);
    let sealed = seal(only(&kek), &context, &data).unwrap();
    Sample {
        kek,
        context,
        data,
        sealed,
    }
}

#[test]
fn the_untouched_sample_opens() {
    let s = sample();
    let (opened, plain) = unseal(&s.kek, &s.sealed).unwrap();
    assert_eq!(plain, s.data);
    assert_eq!(opened.context, s.context);
    let parts = Parts::of(&s.sealed);
    assert_eq!(parts.regular.len(), 3);
    assert_eq!(parts.last.len(), FINAL_OVERHEAD + 100);
    assert_eq!(parts.join(), s.sealed);
}

#[test]
fn truncation_inside_the_header() {
    let s = sample();
    let header = header_len(&s.sealed);
    for cut in 0..header {
        assert_err!(
            unseal(&s.kek, &s.sealed[..cut]),
            UnsealError::HeaderTruncated,
            "cut at {cut}"
        );
    }
}

#[test]
fn truncation_after_the_header_and_inside_or_between_frames() {
    let s = sample();
    let header = header_len(&s.sealed);
    assert_err!(
        unseal(&s.kek, &s.sealed[..header]),
        UnsealError::Truncated { frames: 0 }
    );
    for k in 0..3u64 {
        let start = header + k as usize * REGULAR;
        for into in [1, 2, REGULAR / 2, REGULAR - TAG, REGULAR - 1] {
            assert_err!(
                unseal(&s.kek, &s.sealed[..start + into]),
                UnsealError::Truncated { frames } if frames == k,
                "{into} bytes into frame {k}"
            );
        }
        // Exactly after regular frame k: the following frames, and the final one, are gone.
        assert_err!(
            unseal(&s.kek, &s.sealed[..start + REGULAR]),
            UnsealError::Truncated { frames } if frames == k + 1,
            "after frame {k}"
        );
    }
    // Inside the final frame: after its kind, inside its length, its data, its tag.
    let last = header + 3 * REGULAR;
    for into in [1, 3, 5, 5 + 50, FINAL_OVERHEAD + 100 - 1] {
        assert_err!(
            unseal(&s.kek, &s.sealed[..last + into]),
            UnsealError::Truncated { frames: 3 },
            "{into} bytes into the final frame"
        );
    }
}

#[test]
fn the_final_frame_of_an_exact_multiple_is_empty_and_required() {
    let kek = kek(1, 1);
    let data = content(5, 2 * FRAME);
    let sealed = seal(only(&kek), &Context::new(), &data).unwrap();
    let parts = Parts::of(&sealed);
    assert_eq!(parts.regular.len(), 2);
    assert_eq!(parts.last.len(), FINAL_OVERHEAD);
    assert_eq!(parts.last[..5], [1, 0, 0, 0, 0]);
    assert_err!(
        unseal(&kek, &sealed[..sealed.len() - FINAL_OVERHEAD]),
        UnsealError::Truncated { frames: 2 }
    );
}

#[test]
fn reordered_frames_are_named_with_their_positions() {
    let s = sample();
    let parts = Parts::of(&s.sealed);
    let reorder = |order: &[usize]| {
        let mut p = Parts::of(&s.sealed);
        p.regular = order.iter().map(|&i| parts.regular[i].clone()).collect();
        p.join()
    };
    assert_err!(
        unseal(&s.kek, &reorder(&[1, 0, 2])),
        UnsealError::FrameMoved {
            position: 0,
            original: 1
        }
    );
    assert_err!(
        unseal(&s.kek, &reorder(&[0, 2, 1])),
        UnsealError::FrameMoved {
            position: 1,
            original: 2
        }
    );
    // Frame 1 dropped: frame 2 is found one place early.
    assert_err!(
        unseal(&s.kek, &reorder(&[0, 2])),
        UnsealError::FrameMoved {
            position: 1,
            original: 2
        }
    );
    // Frame 0 written again in place of frame 2.
    assert_err!(
        unseal(&s.kek, &reorder(&[0, 1, 0])),
        UnsealError::FrameRepeated {
            position: 2,
            original: 0
        }
    );
    // The final frame moved forward, in place of frame 1.
    let mut p = Parts::of(&s.sealed);
    p.regular[1] = p.last.clone();
    assert_err!(
        unseal(&s.kek, &p.join()),
        UnsealError::FrameMoved {
            position: 1,
            original: 3
        }
    );
}

#[test]
fn a_duplicated_frame_is_named_with_its_original() {
    let s = sample();
    let parts = Parts::of(&s.sealed);
    for k in 0..3 {
        let mut p = Parts::of(&s.sealed);
        p.regular.insert(k + 1, parts.regular[k].clone());
        assert_err!(
            unseal(&s.kek, &p.join()),
            UnsealError::FrameRepeated { position, original }
                if position == k as u64 + 1 && original == k as u64,
            "frame {k} duplicated"
        );
    }
}

#[test]
fn flipped_bits_in_frames_are_altered_frames() {
    let s = sample();
    let header = header_len(&s.sealed);
    for k in 0..3usize {
        let start = header + k * REGULAR;
        // In the ciphertext (first and last byte) and in the tag.
        for offset in [1, FRAME, REGULAR - 1] {
            let mut bad = s.sealed.clone();
            bad[start + offset] ^= 0x04;
            assert_err!(
                unseal(&s.kek, &bad),
                UnsealError::FrameAltered { index } if index == k as u64,
                "frame {k}, byte {offset}"
            );
        }
        // The kind byte of a regular frame marked final, or unknown.
        for kind in [1u8, 2, 0x80] {
            let mut bad = s.sealed.clone();
            bad[start] = kind;
            assert_err!(
                unseal(&s.kek, &bad),
                UnsealError::FrameAltered { index } if index == k as u64,
                "frame {k} kind {kind}"
            );
        }
    }
    let last = header + 3 * REGULAR;
    for offset in [5, 5 + 99, 5 + 100, 5 + 100 + TAG - 1] {
        let mut bad = s.sealed.clone();
        bad[last + offset] ^= 0x80;
        assert_err!(
            unseal(&s.kek, &bad),
            UnsealError::FrameAltered { index: 3 },
            "final frame byte {offset}"
        );
    }
}

#[test]
fn the_final_frame_kind_and_length_are_protected() {
    let s = sample();
    let last = header_len(&s.sealed) + 3 * REGULAR;
    let with = |at: usize, bytes: &[u8]| {
        let mut bad = s.sealed.clone();
        bad[at..at + bytes.len()].copy_from_slice(bytes);
        bad
    };
    // Marked regular: a full frame is expected, and the data ends before it.
    assert_err!(
        unseal(&s.kek, &with(last, &[0])),
        UnsealError::Truncated { frames: 3 }
    );
    // An unknown kind.
    assert_err!(
        unseal(&s.kek, &with(last, &[3])),
        UnsealError::FrameAltered { index: 3 }
    );
    // A shorter length: the tag is then read from the wrong place and fails.
    assert_err!(
        unseal(&s.kek, &with(last + 1, &99u32.to_be_bytes())),
        UnsealError::FrameAltered { index: 3 }
    );
    assert_err!(
        unseal(&s.kek, &with(last + 1, &0u32.to_be_bytes())),
        UnsealError::FrameAltered { index: 3 }
    );
    // A longer length than the data holds.
    assert_err!(
        unseal(&s.kek, &with(last + 1, &101u32.to_be_bytes())),
        UnsealError::Truncated { frames: 3 }
    );
    // A length of a full frame or more is never a final frame.
    for length in [FRAME as u32, FRAME as u32 + 1, u32::MAX] {
        assert_err!(
            unseal(&s.kek, &with(last + 1, &length.to_be_bytes())),
            UnsealError::FrameAltered { index: 3 },
            "length {length}"
        );
    }
    // A longer length with appended bytes to fill it: the tag fails.
    let mut longer = with(last + 1, &101u32.to_be_bytes());
    longer.push(0);
    assert_err!(
        unseal(&s.kek, &longer),
        UnsealError::FrameAltered { index: 3 }
    );
}

#[test]
fn bytes_after_the_final_frame_are_trailing_data() {
    let s = sample();
    let parts = Parts::of(&s.sealed);
    let other = seal(only(&s.kek), &s.context, b"another").unwrap();
    for extra in [&[0u8][..], &parts.last, &parts.regular[0], &other] {
        let bad = [&s.sealed[..], extra].concat();
        assert_err!(unseal(&s.kek, &bad), UnsealError::TrailingData);
    }
    // The streaming reader writes the authenticated plaintext, but still fails.
    let bad = [&s.sealed[..], &[0u8][..]].concat();
    let mut out = Vec::new();
    assert_err!(
        unseal_stream(&s.kek, &bad[..], &mut out, &mut |_| {}),
        UnsealError::TrailingData
    );
}

#[test]
fn a_frame_from_another_message_is_altered() {
    let s = sample();
    let other = seal(only(&s.kek), &s.context, &s.data).unwrap();
    let mut p = Parts::of(&s.sealed);
    p.regular[1] = Parts::of(&other).regular[1].clone();
    assert_err!(
        unseal(&s.kek, &p.join()),
        UnsealError::FrameAltered { index: 1 }
    );
    // The whole body of another message under the same key and context.
    let mut p = Parts::of(&other);
    p.header = Parts::of(&s.sealed).header;
    assert_err!(
        unseal(&s.kek, &p.join()),
        UnsealError::FrameAltered { index: 0 }
    );
}

/// `sealed` with its header replaced by `header`, encoded as is (with the old tag).
fn with_header(sealed: &[u8], header: &Header) -> Vec<u8> {
    [header.encode(), sealed[header_len(sealed)..].to_vec()].concat()
}

#[test]
fn header_edits_that_parse_are_header_altered() {
    let s = sample();
    let bg = BreakGlassSecret::generate().unwrap();
    let sealed = seal(
        Recipients {
            kek: &s.kek,
            break_glass: &[bg.public().unwrap()],
        },
        &s.context,
        &s.data,
    )
    .unwrap();
    let original = read_header(&sealed[..]).unwrap();
    let mut edits: Vec<(&str, Header)> = Vec::new();

    let mut h = original.clone();
    h.context = context(&[("purpose", "research"), ("record", "p-7f3a9c")]);
    edits.push(("context value changed", h));
    let mut h = original.clone();
    h.context.insert("zz", "added").unwrap();
    edits.push(("context pair added", h));
    let mut h = original.clone();
    h.context = context(&[("purpose", "backup")]);
    edits.push(("context pair removed", h));
    let mut h = original.clone();
    h.frame_size = 4096;
    edits.push(("frame size changed", h));
    let mut h = original.clone();
    h.stanzas.pop();
    edits.push(("break-glass recipient removed", h));
    let mut h = original.clone();
    h.stanzas.reverse();
    edits.push(("recipients reordered", h));
    let mut h = original.clone();
    h.stanzas.push(Stanza::Unknown {
        kind: 9,
        body: vec![1, 2, 3],
    });
    edits.push(("recipient of an unknown kind added", h));
    let mut h = original.clone();
    h.tag[31] ^= 1;
    edits.push(("tag changed", h));

    for (what, header) in edits {
        assert_err!(
            unseal(&s.kek, &with_header(&sealed, &header)),
            UnsealError::HeaderAltered,
            "{what}"
        );
    }
}

#[test]
fn header_edits_caught_before_the_tag_have_their_own_errors() {
    let s = sample();
    let original = read_header(&s.sealed[..]).unwrap();

    // The message id is bound into the KEK wrapping, so the data key does not unwrap.
    let mut h = original.clone();
    h.message_id[0] ^= 1;
    assert_err!(
        unseal(&s.kek, &with_header(&s.sealed, &h)),
        UnsealError::DataKeyUnwrap { .. }
    );
    // So is every byte of the wrapped data key.
    for i in [0, 12, 43, 44, 59] {
        let mut h = original.clone();
        let Stanza::Kek { wrapped, .. } = &mut h.stanzas[0] else {
            panic!("first stanza is not a KEK stanza")
        };
        wrapped[i] ^= 1;
        assert_err!(
            unseal(&s.kek, &with_header(&s.sealed, &h)),
            UnsealError::DataKeyUnwrap { .. },
            "wrapped byte {i}"
        );
    }
    // The commitment is checked before the tag.
    let mut h = original.clone();
    h.commitment[7] ^= 0x10;
    assert_err!(
        unseal(&s.kek, &with_header(&s.sealed, &h)),
        UnsealError::KeyCommitment
    );
}

/// Byte offsets of the fixed header fields.
const VERSION_AT: usize = 4;
const SUITE_AT: usize = 5;
const FRAME_SIZE_AT: usize = 7;
const CONTEXT_COUNT_AT: usize = 43;

fn patched(sealed: &[u8], at: usize, bytes: &[u8]) -> Vec<u8> {
    let mut out = sealed.to_vec();
    out[at..at + bytes.len()].copy_from_slice(bytes);
    out
}

#[test]
fn magic_version_and_suite() {
    let s = sample();
    for i in 0..4 {
        let mut bad = s.sealed.clone();
        bad[i] ^= 0x01;
        assert_err!(
            unseal(&s.kek, &bad),
            UnsealError::NotSealed,
            "magic byte {i}"
        );
    }
    assert_err!(unseal(&s.kek, b"hello world"), UnsealError::NotSealed);
    assert_err!(
        unseal(&s.kek, &patched(&s.sealed, VERSION_AT, &[2])),
        UnsealError::UnsupportedVersion(2)
    );
    assert_err!(
        unseal(&s.kek, &patched(&s.sealed, VERSION_AT, &[0])),
        UnsealError::UnsupportedVersion(0)
    );
    assert_err!(
        unseal(&s.kek, &patched(&s.sealed, SUITE_AT, &[0, 2])),
        UnsealError::UnsupportedSuite(2)
    );
    assert_err!(
        unseal(&s.kek, &patched(&s.sealed, SUITE_AT, &[1, 1])),
        UnsealError::UnsupportedSuite(0x0101)
    );
}

/// A header written byte by byte, so that it can break every rule.
fn raw_header(
    frame_size: u32,
    pairs: &[(&[u8], &[u8])],
    stanzas: &[(u8, Vec<u8>)],
    stanza_count: Option<u8>,
) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.push(1);
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&frame_size.to_be_bytes());
    out.extend_from_slice(&[0x5a; 32]);
    out.extend_from_slice(&(pairs.len() as u16).to_be_bytes());
    for (key, value) in pairs {
        out.extend_from_slice(&(key.len() as u16).to_be_bytes());
        out.extend_from_slice(key);
        out.extend_from_slice(&(value.len() as u16).to_be_bytes());
        out.extend_from_slice(value);
    }
    out.push(stanza_count.unwrap_or(stanzas.len() as u8));
    for (kind, body) in stanzas {
        out.push(*kind);
        out.extend_from_slice(&(body.len() as u16).to_be_bytes());
        out.extend_from_slice(body);
    }
    out.extend_from_slice(&[0; 64]);
    out
}

#[test]
fn malformed_headers() {
    let s = sample();
    let kek_body = vec![1u8; 80];
    let good = |pairs: &[(&[u8], &[u8])]| raw_header(65536, pairs, &[(1, kek_body.clone())], None);
    // The raw builder itself makes a header that parses.
    assert!(read_header(&good(&[(b"a", b"1"), (b"b", b"2")])[..]).is_ok());

    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "context count 65535",
            patched(&s.sealed, CONTEXT_COUNT_AT, &[0xff, 0xff]),
        ),
        (
            "context count 65",
            patched(&s.sealed, CONTEXT_COUNT_AT, &[0, 65]),
        ),
        ("frame size 0", patched(&s.sealed, FRAME_SIZE_AT, &[0; 4])),
        (
            "frame size 65535",
            patched(&s.sealed, FRAME_SIZE_AT, &[0, 0, 0xff, 0xff]),
        ),
        (
            "frame size 2048",
            patched(&s.sealed, FRAME_SIZE_AT, &[0, 0, 8, 0]),
        ),
        (
            "frame size 32 MiB",
            patched(&s.sealed, FRAME_SIZE_AT, &[2, 0, 0, 0]),
        ),
        ("keys descending", good(&[(b"b", b"1"), (b"a", b"2")])),
        ("key repeated", good(&[(b"a", b"1"), (b"a", b"2")])),
        ("empty key", good(&[(b"", b"1")])),
        ("key not UTF-8", good(&[(b"\xff", b"1")])),
        ("value not UTF-8", good(&[(b"a", b"\xc3")])),
        ("key too long", good(&[(&[b'k'; 257], b"1")])),
        ("value too long", good(&[(b"a", &[b'v'; 4097])])),
        ("no recipients", raw_header(65536, &[], &[], None)),
        (
            "17 recipients",
            raw_header(65536, &[], &vec![(9, vec![]); 17], None),
        ),
        (
            "recipient count 255",
            raw_header(65536, &[], &[(1, kek_body.clone())], Some(255)),
        ),
        (
            "KEK stanza too short",
            raw_header(65536, &[], &[(1, vec![0; 79])], None),
        ),
        (
            "KEK stanza too long",
            raw_header(65536, &[], &[(1, vec![0; 81])], None),
        ),
        (
            "break-glass stanza too short",
            raw_header(65536, &[], &[(2, vec![0; 95])], None),
        ),
        (
            "stanza body too long",
            raw_header(65536, &[], &[(9, vec![0; 1025])], None),
        ),
    ];
    // 65 pairs, each valid on its own.
    let keys: Vec<String> = (0..65).map(|i| format!("k{i:03}")).collect();
    let many: Vec<(&[u8], &[u8])> = keys.iter().map(|k| (k.as_bytes(), &b"v"[..])).collect();
    cases.push(("65 context pairs", good(&many)));

    for (what, bytes) in cases {
        assert_err!(
            unseal(&s.kek, &bytes),
            UnsealError::MalformedHeader(_),
            "{what}"
        );
        assert_err!(
            read_header(&bytes[..]),
            UnsealError::MalformedHeader(_),
            "{what}"
        );
    }
    // At the limits, the same shapes parse.
    let limits = raw_header(
        4096,
        &[(&[b'k'; 256], &[b'v'; 4096])],
        &vec![(9, vec![0; 1024]); 16],
        None,
    );
    assert!(read_header(&limits[..]).is_ok());
    let many: Vec<(&[u8], &[u8])> = many[..64].to_vec();
    assert!(read_header(&good(&many)[..]).is_ok());
}

#[test]
fn the_wrong_key_is_named() {
    let s = sample();
    // Another keyring.
    let other = kek(2, 1);
    match unseal(&other, &s.sealed) {
        Err(UnsealError::NoMatchingKey {
            sealed_for,
            keyring,
        }) => {
            assert!(sealed_for.contains(&hex::encode(&[1; 16])), "{sealed_for}");
            assert!(keyring.contains(&hex::encode(&[2; 16])), "{keyring}");
        }
        result => panic!("expected NoMatchingKey, got {result:?}"),
    }
    // The same keyring, another version.
    assert_err!(
        unseal(&kek(1, 2), &s.sealed),
        UnsealError::NoMatchingKey { .. }
    );
    // The same keyring and version, but another key.
    assert_err!(
        unseal(&kek(1, 1), &s.sealed),
        UnsealError::DataKeyUnwrap { .. }
    );
    // A break-glass key the data was not sealed for.
    let bg = BreakGlassSecret::generate().unwrap();
    assert_err!(unseal(&bg, &s.sealed), UnsealError::NotARecipient { .. });
}

#[test]
fn a_required_context_must_match() {
    let s = sample();
    let (opened, _) = unseal(&s.kek, &s.sealed).unwrap();
    assert!(opened.context.require(&Context::new()).is_ok());
    assert!(
        opened
            .context
            .require(&context(&[("purpose", "backup")]))
            .is_ok()
    );
    assert!(opened.context.require(&s.context).is_ok());
    match opened.context.require(&context(&[("purpose", "research")])) {
        Err(UnsealError::ContextMismatch {
            key,
            expected,
            found,
        }) => {
            assert_eq!(key, "purpose");
            assert_eq!(expected, "research");
            assert_eq!(found.as_deref(), Some("backup"));
        }
        other => panic!("expected ContextMismatch, got {other:?}"),
    }
    match opened.context.require(&context(&[("patient", "p-1")])) {
        Err(UnsealError::ContextMismatch { key, found, .. }) => {
            assert_eq!(key, "patient");
            assert_eq!(found, None);
        }
        other => panic!("expected ContextMismatch, got {other:?}"),
    }
}

#[test]
fn invalid_contexts_are_refused_when_built() {
    let mut c = Context::new();
    assert!(c.insert("", "v").is_err());
    assert!(c.insert(&"k".repeat(257), "v").is_err());
    assert!(c.insert("k", &"v".repeat(4097)).is_err());
    assert!(c.insert("k", "v").is_ok());
    assert!(c.insert("k", "w").is_err());
    for i in 1..64 {
        c.insert(&format!("k{i}"), "v").unwrap();
    }
    assert!(c.insert("one-too-many", "v").is_err());
    let mut c = Context::new();
    assert!(c.insert_pair("purpose=backup=full").is_ok());
    assert_eq!(c.get("purpose"), Some("backup=full"));
    assert!(c.insert_pair("no-equals-sign").is_err());
}

// ---------------------------------------------------------------------------------------------
// Break-glass keys
// ---------------------------------------------------------------------------------------------

#[test]
fn a_break_glass_key_opens_what_was_sealed_for_it() {
    let kek = kek(1, 1);
    let bg = BreakGlassSecret::generate().unwrap();
    let other = BreakGlassSecret::generate().unwrap();
    let context = context(&[("purpose", "backup")]);
    let data = content(9, FRAME + 9);
    let sealed = seal(
        Recipients {
            kek: &kek,
            break_glass: &[bg.public().unwrap()],
        },
        &context,
        &data,
    )
    .unwrap();

    let (opened, plain) = unseal(&bg, &sealed).unwrap();
    assert_eq!(plain, data);
    assert_eq!(opened.context, context);
    assert_eq!(opened.recipients.len(), 2);
    assert!(opened.opened_with.contains(&hex::encode(&bg.id())));
    let (by_kek, _) = unseal(&kek, &sealed).unwrap();
    assert_eq!(by_kek.recipients, opened.recipients);

    match unseal(&other, &sealed) {
        Err(UnsealError::NotARecipient { key }) => assert_eq!(key, hex::encode(&other.id())),
        result => panic!("expected NotARecipient, got {result:?}"),
    }

    // The same id with another private key.
    let text = bg.to_text();
    let (prefix, _) = text.rsplit_once('-').unwrap();
    let impostor_private = hex::encode(KeyBytes::generate().unwrap().expose());
    let impostor = BreakGlassSecret::from_text(&format!("{prefix}-{impostor_private}")).unwrap();
    assert_eq!(impostor.id(), bg.id());
    assert_err!(
        unseal(&impostor, &sealed),
        UnsealError::DataKeyUnwrap { .. }
    );

    // An edited ephemeral key or wrapped key does not unwrap; nor does a low-order point.
    let original = read_header(&sealed[..]).unwrap();
    for edit in 0..3 {
        let mut h = original.clone();
        let Stanza::BreakGlass {
            ephemeral, wrapped, ..
        } = &mut h.stanzas[1]
        else {
            panic!("second stanza is not a break-glass stanza")
        };
        match edit {
            0 => ephemeral[3] ^= 1,
            1 => wrapped[40] ^= 1,
            _ => *ephemeral = [0; 32],
        }
        assert_err!(
            unseal(&bg, &with_header(&sealed, &h)),
            UnsealError::DataKeyUnwrap { .. },
            "edit {edit}"
        );
    }
}

#[test]
fn break_glass_text_round_trips() {
    let bg = BreakGlassSecret::generate().unwrap();
    let text = bg.to_text();
    assert!(text.starts_with("PHIGUARD-BREAK-GLASS-KEY-1-"));
    let again = BreakGlassSecret::from_text(&text).unwrap();
    assert_eq!(again.id(), bg.id());
    assert_eq!(again.public().unwrap(), bg.public().unwrap());
    assert_eq!(*again.to_text(), *text);
    // Comments and blank lines around the key line are ignored.
    let file = format!("# phiguard break-glass key\n\n  {}  \n\n# end\n", *text);
    assert_eq!(BreakGlassSecret::from_text(&file).unwrap().id(), bg.id());

    let kek = kek(1, 1);
    let sealed = seal(
        Recipients {
            kek: &kek,
            break_glass: &[bg.public().unwrap()],
        },
        &Context::new(),
        b"emergency",
    )
    .unwrap();
    assert_eq!(unseal(&again, &sealed).unwrap().1, b"emergency");
}

#[test]
fn damaged_break_glass_text_is_refused_without_repeating_the_key() {
    let bg = BreakGlassSecret::generate().unwrap();
    let text = bg.to_text();
    let (prefix, private) = text.rsplit_once('-').unwrap();
    let id = hex::encode(&bg.id());
    let damaged = [
        String::new(),
        "# only a comment\n\n".to_owned(),
        text.replacen("PHIGUARD", "PHIGUARX", 1),
        text.replacen("KEY-1-", "KEY-2-", 1),
        text.replacen(&format!("{id}-"), &id, 1),
        format!("{prefix}-{}", &private[..63]),
        format!("{prefix}-{}", &private[..62]),
        format!("{prefix}-{private}00"),
        format!("{prefix}-{}", private.to_uppercase()),
        format!("{prefix}-{}g", &private[..63]),
        format!("{prefix}-{private}-extra"),
        text.replacen(&id, &id[..30], 1),
        text.replacen(&id, &format!("{}zz", &id[..30]), 1),
    ];
    for (i, bad) in damaged.iter().enumerate() {
        let error = match BreakGlassSecret::from_text(bad) {
            Err(error) => error,
            Ok(_) => panic!("damaged text {i} was accepted"),
        };
        let lower = error.to_lowercase();
        // No run of 8 hex digits of the private key appears in the message.
        for window in private.as_bytes().windows(8) {
            let window = std::str::from_utf8(window).unwrap();
            assert!(!lower.contains(window), "case {i}: {error}");
        }
        assert!(
            !error.contains(bad.trim()) || bad.trim().is_empty(),
            "case {i}: {error}"
        );
    }
}

#[test]
fn sixteen_recipients_at_most() {
    let kek = kek(1, 1);
    let publics: Vec<BreakGlassPublic> = (0..16)
        .map(|_| BreakGlassSecret::generate().unwrap().public().unwrap())
        .collect();
    let sealed = seal(
        Recipients {
            kek: &kek,
            break_glass: &publics[..15],
        },
        &Context::new(),
        b"x",
    )
    .unwrap();
    assert_eq!(unseal(&kek, &sealed).unwrap().0.recipients.len(), 16);
    assert_err!(
        seal(
            Recipients {
                kek: &kek,
                break_glass: &publics,
            },
            &Context::new(),
            b"x",
        ),
        SealError::TooManyRecipients(17)
    );
}

// ---------------------------------------------------------------------------------------------
// Rewrapping
// ---------------------------------------------------------------------------------------------

#[test]
fn rewrap_moves_data_to_a_new_kek_without_touching_frames() {
    let v1 = kek(4, 1);
    let v2 = kek(4, 2);
    let bg = BreakGlassSecret::generate().unwrap();
    let publics = [bg.public().unwrap()];
    let context = context(&[("purpose", "backup")]);
    let data = content(11, 2 * FRAME + 11);
    let sealed = seal(
        Recipients {
            kek: &v1,
            break_glass: &publics,
        },
        &context,
        &data,
    )
    .unwrap();

    let mut out = Vec::new();
    let header = rewrap_stream(
        &v1,
        Recipients {
            kek: &v2,
            break_glass: &publics,
        },
        &sealed[..],
        &mut out,
    )
    .unwrap();

    let old = read_header(&sealed[..]).unwrap();
    assert_eq!(read_header(&out[..]).unwrap(), header);
    let (old_len, new_len) = (old.encode().len(), header.encode().len());
    assert_eq!(
        out[new_len..],
        sealed[old_len..],
        "frames must be copied unchanged"
    );
    assert_eq!(header.message_id, old.message_id);
    assert_eq!(header.context, old.context);
    assert_eq!(header.commitment, old.commitment);
    assert_ne!(header.tag, old.tag, "the header must be signed again");
    assert_ne!(out[..new_len], sealed[..old_len]);
    assert!(matches!(header.stanzas[0], Stanza::Kek { version: 2, .. }));

    let (opened, plain) = unseal(&v2, &out).unwrap();
    assert_eq!(plain, data);
    assert_eq!(opened.context, context);
    assert_err!(unseal(&v1, &out), UnsealError::NoMatchingKey { .. });
    assert_eq!(unseal(&bg, &out).unwrap().1, data);
    // The original still opens with v1 only.
    assert_eq!(unseal(&v1, &sealed).unwrap().1, data);
    assert_err!(unseal(&v2, &sealed), UnsealError::NoMatchingKey { .. });
}

#[test]
fn rewrap_refuses_damaged_input_before_writing() {
    let v1 = kek(4, 1);
    let v2 = kek(4, 2);
    let sealed = seal(only(&v1), &context(&[("purpose", "backup")]), b"data").unwrap();
    let original = read_header(&sealed[..]).unwrap();

    let mut altered = original.clone();
    altered.context = context(&[("purpose", "research")]);
    let mut uncommitted = original.clone();
    uncommitted.commitment[0] ^= 1;
    let header = header_len(&sealed);

    // Each failure is checked before a byte is written.
    let refused = |input: &[u8], opener: &dyn KeyOpener| {
        let mut out = Vec::new();
        let result = rewrap_stream(opener, only(&v2), input, &mut out);
        assert!(
            out.is_empty(),
            "{} bytes written before {result:?}",
            out.len()
        );
        result
    };
    assert_err!(
        refused(&with_header(&sealed, &altered), &v1),
        UnsealError::HeaderAltered
    );
    assert_err!(
        refused(&with_header(&sealed, &uncommitted), &v1),
        UnsealError::KeyCommitment
    );
    assert_err!(refused(&sealed, &v2), UnsealError::NoMatchingKey { .. });
    assert_err!(
        refused(&sealed[..header - 1], &v1),
        UnsealError::HeaderTruncated
    );
    assert_err!(refused(b"not sealed", &v1), UnsealError::NotSealed);
}

#[test]
fn rewrap_does_not_launder_damaged_frames() {
    // Frames are copied, not decrypted: damage in them survives rewrapping and is found
    // when the result is opened.
    let v1 = kek(4, 1);
    let v2 = kek(4, 2);
    let mut sealed = seal(only(&v1), &Context::new(), &content(3, FRAME + 3)).unwrap();
    let at = header_len(&sealed) + 10;
    sealed[at] ^= 1;
    let mut out = Vec::new();
    rewrap_stream(&v1, only(&v2), &sealed[..], &mut out).unwrap();
    assert_err!(unseal(&v2, &out), UnsealError::FrameAltered { index: 0 });
}

#[test]
fn rewrap_through_short_reads_and_writes() {
    let v1 = kek(4, 1);
    let v2 = kek(4, 2);
    let data = content(12, BATCH * FRAME + 1);
    let sealed = seal(only(&v1), &Context::new(), &data).unwrap();
    let mut out = ShortWriter {
        out: Vec::new(),
        rng: 1,
        max: 5000,
    };
    let input = ShortReader {
        data: &sealed,
        rng: 2,
        max: 5000,
    };
    rewrap_stream(&v1, only(&v2), input, &mut out).unwrap();
    assert_eq!(unseal(&v2, &out.out).unwrap().1, data);
}

// ---------------------------------------------------------------------------------------------
// Hostile input
// ---------------------------------------------------------------------------------------------

fn fixed_kek() -> Kek {
    Kek::new([0x33; 16], 1, KeyBytes::from_array([0x44; 32]))
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(prop::sample::Index, u8),
    SetByte(prop::sample::Index, u8),
    Truncate(prop::sample::Index),
    Insert(prop::sample::Index, Vec<u8>),
    Delete(prop::sample::Index, usize),
    Duplicate(prop::sample::Index, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    use prop::sample::Index;
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, v)| Mutation::SetByte(i, v)),
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), prop::collection::vec(any::<u8>(), 1..40))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<Index>(), 1usize..REGULAR + 10).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<Index>(), 1usize..REGULAR + 10).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    match mutation {
        Mutation::FlipBit(i, bit) => {
            let i = i.index(bytes.len());
            bytes[i] ^= 1 << bit;
        }
        Mutation::SetByte(i, value) => {
            let i = i.index(bytes.len());
            bytes[i] = *value;
        }
        Mutation::Truncate(i) => bytes.truncate(i.index(bytes.len())),
        Mutation::Insert(i, extra) => {
            let i = i.index(bytes.len() + 1);
            bytes.splice(i..i, extra.iter().copied());
        }
        Mutation::Delete(i, n) => {
            let i = i.index(bytes.len());
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
        Mutation::Duplicate(i, n) => {
            let i = i.index(bytes.len());
            let end = (i + n).min(bytes.len());
            let copy = bytes[i..end].to_vec();
            bytes.splice(end..end, copy);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_open(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let kek = fixed_kek();
        prop_assert!(unseal(&kek, &bytes).is_err());
        let _ = read_header(&bytes[..]);
        let mut out = Vec::new();
        prop_assert!(rewrap_stream(&kek, only(&kek), &bytes[..], &mut out).is_err());
        prop_assert!(out.is_empty());
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_start_never_open(
        frame_shift in 12u32..25,
        rest in prop::collection::vec(any::<u8>(), 0..2048),
    ) {
        let kek = fixed_kek();
        let mut bytes = MAGIC.to_vec();
        bytes.push(1);
        bytes.extend_from_slice(&1u16.to_be_bytes());
        bytes.extend_from_slice(&(1u32 << frame_shift).to_be_bytes());
        bytes.extend_from_slice(&rest);
        prop_assert!(unseal(&kek, &bytes).is_err());
        let bg = BreakGlassSecret::from_text(
            "PHIGUARD-BREAK-GLASS-KEY-1-000102030405060708090a0b0c0d0e0f-\
             0000000000000000000000000000000000000000000000000000000000000001",
        )
        .unwrap();
        prop_assert!(unseal(&bg, &bytes).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_sealed_data_never_opens_to_anything_else(
        size in prop::sample::select(vec![0usize, 1, 100, FRAME - 1, FRAME, FRAME + 1, 2 * FRAME + 5]),
        seed in any::<u64>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let kek = fixed_kek();
        let context = context(&[("purpose", "fuzz")]);
        let data = content(seed, size);
        let sealed = seal(only(&kek), &context, &data).unwrap();
        let mut bad = sealed.clone();
        for m in &mutations {
            apply(&mut bad, m);
        }
        match unseal(&kek, &bad) {
            Ok((opened, plain)) => {
                prop_assert!(bad == sealed, "altered data opened");
                prop_assert!(plain == data);
                prop_assert_eq!(opened.context, context);
            }
            Err(_) => prop_assert!(bad != sealed, "unaltered data did not open"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Key material never printed
// ---------------------------------------------------------------------------------------------

/// Whether `text` shows `key` in hex (any case) or as a Rust byte list (plain or pretty).
fn shows(text: &str, key: &[u8; 32]) -> bool {
    let lower = text.to_lowercase();
    let hex = hex::encode(key);
    let compact: String = text.split_whitespace().collect();
    let list: String = format!("{:?}", &key[..4]).split_whitespace().collect();
    lower.contains(&hex[..16]) || compact.contains(list.trim_end_matches(']'))
}

#[test]
fn debug_output_never_shows_key_material() {
    let key = [0xc3u8; 32];
    let kek = Kek::new([0x11; 16], 5, KeyBytes::from_array(key));
    let shown = format!("{kek:?} {kek:#?}");
    assert!(!shows(&shown, &key), "{shown}");
    assert!(shown.contains(&hex::encode(&[0x11; 16])), "{shown}");
    let recipients = only(&kek);
    let shown = format!("{recipients:?}");
    assert!(!shows(&shown, &key), "{shown}");

    let bytes = KeyBytes::from_array(key);
    let shown = format!("{bytes:?} {bytes:#?}");
    assert!(!shows(&shown, &key), "{shown}");

    let private = [0x5du8; 32];
    let bg = BreakGlassSecret::from_text(&format!(
        "PHIGUARD-BREAK-GLASS-KEY-1-{}-{}",
        hex::encode(&[0x22; 16]),
        hex::encode(&private)
    ))
    .unwrap();
    let shown = format!("{bg:?} {bg:#?}");
    assert!(!shows(&shown, &private), "{shown}");
    assert!(shown.contains(&hex::encode(&[0x22; 16])), "{shown}");

    // Nor do errors about keys.
    let sealed = seal(only(&kek), &Context::new(), b"x").unwrap();
    let impostor = Kek::new([0x11; 16], 5, KeyBytes::from_array([0xd4; 32]));
    let error = unseal(&impostor, &sealed).unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(
        !shows(&shown, &key) && !shows(&shown, &[0xd4; 32]),
        "{shown}"
    );
}

// ---------------------------------------------------------------------------------------------
// The format, from its specification alone
// ---------------------------------------------------------------------------------------------

/// A second implementation of `docs/formats/ciphertext.md`, written from the document with
/// aws-lc-rs primitives only.
mod spec {
    use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey, X25519};
    use aws_lc_rs::{hkdf, hmac};

    pub fn hkdf(salt: &[u8], ikm: &[u8], info: &[&[u8]]) -> [u8; 32] {
        let mut out = [0u8; 32];
        hkdf::Salt::new(hkdf::HKDF_SHA256, salt)
            .extract(ikm)
            .expand(info, hkdf::HKDF_SHA256)
            .unwrap()
            .fill(&mut out)
            .unwrap();
        out
    }

    pub fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
        hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data)
            .as_ref()
            .try_into()
            .unwrap()
    }

    /// AES-256-GCM: ciphertext ‖ tag.
    pub fn gcm_seal(key: &[u8; 32], nonce: [u8; 12], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).unwrap());
        let mut buffer = plaintext.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(aad),
            &mut buffer,
        )
        .unwrap();
        buffer
    }

    pub fn gcm_open(key: &[u8; 32], nonce: [u8; 12], aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).unwrap());
        let mut buffer = sealed.to_vec();
        let plain = key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut buffer,
            )
            .ok()?;
        Some(plain.to_vec())
    }

    pub fn x25519_public(private: &[u8; 32]) -> [u8; 32] {
        let key = PrivateKey::from_private_key(&X25519, private).unwrap();
        key.compute_public_key()
            .unwrap()
            .as_ref()
            .try_into()
            .unwrap()
    }

    pub fn x25519(private: &[u8; 32], public: &[u8; 32]) -> [u8; 32] {
        let key = PrivateKey::from_private_key(&X25519, private).unwrap();
        agreement::agree(
            &key,
            UnparsedPublicKey::new(&X25519, public),
            (),
            |shared| shared.try_into().map_err(|_| ()),
        )
        .unwrap()
    }

    /// Frame key, header key and commitment of a message (§4.1).
    pub struct MessageKeys {
        pub frame: [u8; 32],
        pub header: [u8; 32],
        pub commitment: [u8; 32],
    }

    pub fn message_keys(data_key: &[u8; 32], message_id: &[u8; 32]) -> MessageKeys {
        MessageKeys {
            frame: hkdf(message_id, data_key, &[b"phiguard v1 frame key"]),
            header: hkdf(message_id, data_key, &[b"phiguard v1 header key"]),
            commitment: hkdf(message_id, data_key, &[b"phiguard v1 key commitment"]),
        }
    }

    pub fn kek_aad(keyring: &[u8; 16], version: u32, message_id: &[u8; 32]) -> Vec<u8> {
        [
            &b"phiguard v1 kek"[..],
            keyring,
            &version.to_be_bytes(),
            message_id,
        ]
        .concat()
    }

    /// The break-glass wrapping key (§4.3).
    pub fn break_glass_key(
        shared: &[u8; 32],
        ephemeral_public: &[u8; 32],
        recipient_public: &[u8; 32],
        key_id: &[u8; 16],
        message_id: &[u8; 32],
    ) -> [u8; 32] {
        let salt = [&ephemeral_public[..], recipient_public].concat();
        hkdf(
            &salt,
            shared,
            &[b"phiguard v1 break-glass", key_id, message_id],
        )
    }

    pub fn frame_nonce(index: u64) -> [u8; 12] {
        let mut nonce = [0u8; 12];
        nonce[4..].copy_from_slice(&index.to_be_bytes());
        nonce
    }

    pub fn frame_aad(index: u64, kind: u8, length: u32) -> [u8; 13] {
        let mut aad = [0u8; 13];
        aad[..8].copy_from_slice(&index.to_be_bytes());
        aad[8] = kind;
        aad[9..].copy_from_slice(&length.to_be_bytes());
        aad
    }

    /// Every input of a sealed object, so that it comes out the same each time.
    pub struct Inputs {
        pub data_key: [u8; 32],
        pub message_id: [u8; 32],
        pub context: Vec<(&'static str, &'static str)>,
        pub keyring: [u8; 16],
        pub kek_version: u32,
        pub kek: [u8; 32],
        pub kek_nonce: [u8; 12],
        pub break_glass_id: [u8; 16],
        pub break_glass_private: [u8; 32],
        pub ephemeral_private: [u8; 32],
        pub frame_size: u32,
        pub plaintext: Vec<u8>,
    }

    /// One field of the encoding, for the annotated listing.
    pub struct Field {
        pub bytes: Vec<u8>,
        pub note: String,
    }

    /// Encodes `inputs` as the listing of its fields, in order.
    pub fn encode(inputs: &Inputs) -> Vec<Field> {
        let mut fields = Vec::new();
        let mut field = |bytes: &[u8], note: &str| {
            fields.push(Field {
                bytes: bytes.to_vec(),
                note: note.to_owned(),
            })
        };
        let keys = message_keys(&inputs.data_key, &inputs.message_id);

        field(&[0x89, b'P', b'H', b'G'], "magic");
        field(&[1], "version 1");
        field(&1u16.to_be_bytes(), "suite 1");
        field(
            &inputs.frame_size.to_be_bytes(),
            &format!("frame size {}", inputs.frame_size),
        );
        field(&inputs.message_id, "message id");
        field(
            &(inputs.context.len() as u16).to_be_bytes(),
            &format!("{} context pairs", inputs.context.len()),
        );
        for (key, value) in &inputs.context {
            field(&(key.len() as u16).to_be_bytes(), "  key length");
            field(key.as_bytes(), &format!("  key {key:?}"));
            field(&(value.len() as u16).to_be_bytes(), "  value length");
            field(value.as_bytes(), &format!("  value {value:?}"));
        }
        field(&[2], "2 recipient stanzas");

        // KEK stanza.
        let wrapped = gcm_seal(
            &inputs.kek,
            inputs.kek_nonce,
            &kek_aad(&inputs.keyring, inputs.kek_version, &inputs.message_id),
            &inputs.data_key,
        );
        field(&[1], "  kind 1: key-encryption key");
        field(&80u16.to_be_bytes(), "  body length 80");
        field(&inputs.keyring, "    keyring id");
        field(&inputs.kek_version.to_be_bytes(), "    KEK version");
        field(&inputs.kek_nonce, "    nonce");
        field(&wrapped[..32], "    wrapped data key");
        field(&wrapped[32..], "    tag");

        // Break-glass stanza.
        let recipient_public = x25519_public(&inputs.break_glass_private);
        let ephemeral_public = x25519_public(&inputs.ephemeral_private);
        let shared = x25519(&inputs.ephemeral_private, &recipient_public);
        let wrap_key = break_glass_key(
            &shared,
            &ephemeral_public,
            &recipient_public,
            &inputs.break_glass_id,
            &inputs.message_id,
        );
        let wrapped = gcm_seal(&wrap_key, [0; 12], &inputs.message_id, &inputs.data_key);
        field(&[2], "  kind 2: break-glass");
        field(&96u16.to_be_bytes(), "  body length 96");
        field(&inputs.break_glass_id, "    break-glass key id");
        field(&ephemeral_public, "    ephemeral public key");
        field(&wrapped[..32], "    wrapped data key");
        field(&wrapped[32..], "    tag");

        field(&keys.commitment, "key commitment");
        let signed: Vec<u8> = fields.iter().flat_map(|f| f.bytes.clone()).collect();
        let tag = hmac(&keys.header, &signed);
        fields.push(Field {
            bytes: tag.to_vec(),
            note: "header tag".to_owned(),
        });

        // Frames.
        let mut index = 0u64;
        let mut chunks = inputs.plaintext.chunks_exact(inputs.frame_size as usize);
        for chunk in &mut chunks {
            let sealed = gcm_seal(
                &keys.frame,
                frame_nonce(index),
                &frame_aad(index, 0, 0),
                chunk,
            );
            fields.push(Field {
                bytes: [&[0u8][..], &sealed].concat(),
                note: format!("regular frame {index}"),
            });
            index += 1;
        }
        let rest = chunks.remainder();
        let length = rest.len() as u32;
        let sealed = gcm_seal(
            &keys.frame,
            frame_nonce(index),
            &frame_aad(index, 1, length),
            rest,
        );
        fields.push(Field {
            bytes: vec![1],
            note: format!("final frame {index}: kind 1"),
        });
        fields.push(Field {
            bytes: length.to_be_bytes().to_vec(),
            note: format!("  length {length}"),
        });
        fields.push(Field {
            bytes: sealed[..rest.len()].to_vec(),
            note: "  ciphertext".to_owned(),
        });
        fields.push(Field {
            bytes: sealed[rest.len()..].to_vec(),
            note: "  tag".to_owned(),
        });
        fields
    }

    /// What a reader found.
    pub struct Decoded {
        pub context: Vec<(String, String)>,
        pub plaintext: Vec<u8>,
    }

    struct Cursor<'a>(&'a [u8]);

    impl Cursor<'_> {
        fn take(&mut self, n: usize) -> Option<Vec<u8>> {
            if self.0.len() < n {
                return None;
            }
            let (head, rest) = self.0.split_at(n);
            self.0 = rest;
            Some(head.to_vec())
        }
        fn u8(&mut self) -> Option<u8> {
            Some(self.take(1)?[0])
        }
        fn u16(&mut self) -> Option<u16> {
            Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
        }
        fn u32(&mut self) -> Option<u32> {
            Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
        }
        fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
            self.take(N)?.try_into().ok()
        }
    }

    /// Which key opens the data key.
    pub enum Key<'a> {
        Kek {
            keyring: [u8; 16],
            version: u32,
            key: &'a [u8; 32],
        },
        BreakGlass {
            id: [u8; 16],
            private: &'a [u8; 32],
        },
    }

    /// Opens sealed data following the document (§6), or `None` for any failure.
    pub fn decode(key: &Key<'_>, sealed: &[u8]) -> Option<Decoded> {
        let mut c = Cursor(sealed);
        if c.take(4)? != [0x89, b'P', b'H', b'G'] || c.u8()? != 1 || c.u16()? != 1 {
            return None;
        }
        let frame_size = c.u32()? as usize;
        let message_id: [u8; 32] = c.array()?;
        let mut context = Vec::new();
        for _ in 0..c.u16()? {
            let n = c.u16()? as usize;
            let k = String::from_utf8(c.take(n)?).ok()?;
            let n = c.u16()? as usize;
            let v = String::from_utf8(c.take(n)?).ok()?;
            context.push((k, v));
        }
        let mut data_key = None;
        for _ in 0..c.u8()? {
            let kind = c.u8()?;
            let n = c.u16()? as usize;
            let body_bytes = c.take(n)?;
            let mut body = Cursor(&body_bytes);
            match (kind, key) {
                (
                    1,
                    Key::Kek {
                        keyring,
                        version,
                        key,
                    },
                ) => {
                    let id: [u8; 16] = body.array()?;
                    let v = body.u32()?;
                    let nonce: [u8; 12] = body.array()?;
                    let wrapped = body.take(48)?;
                    if id == *keyring && v == *version {
                        let aad = kek_aad(keyring, *version, &message_id);
                        data_key = Some(gcm_open(key, nonce, &aad, &wrapped)?);
                    }
                }
                (2, Key::BreakGlass { id, private }) => {
                    let key_id: [u8; 16] = body.array()?;
                    let ephemeral: [u8; 32] = body.array()?;
                    let wrapped = body.take(48)?;
                    if key_id == *id {
                        let shared = x25519(private, &ephemeral);
                        let wrap_key = break_glass_key(
                            &shared,
                            &ephemeral,
                            &x25519_public(private),
                            id,
                            &message_id,
                        );
                        data_key = Some(gcm_open(&wrap_key, [0; 12], &message_id, &wrapped)?);
                    }
                }
                _ => {}
            }
        }
        let data_key: [u8; 32] = data_key?.try_into().ok()?;
        let keys = message_keys(&data_key, &message_id);
        let commitment: [u8; 32] = c.array()?;
        if commitment != keys.commitment {
            return None;
        }
        let signed_len = sealed.len() - c.0.len();
        let tag: [u8; 32] = c.array()?;
        if tag != hmac(&keys.header, &sealed[..signed_len]) {
            return None;
        }
        let mut plaintext = Vec::new();
        let mut index = 0u64;
        loop {
            match c.u8()? {
                0 => {
                    let sealed = c.take(frame_size + 16)?;
                    let aad = frame_aad(index, 0, 0);
                    plaintext.extend(gcm_open(&keys.frame, frame_nonce(index), &aad, &sealed)?);
                }
                1 => {
                    let length = c.u32()?;
                    if length as usize >= frame_size {
                        return None;
                    }
                    let sealed = c.take(length as usize + 16)?;
                    let aad = frame_aad(index, 1, length);
                    plaintext.extend(gcm_open(&keys.frame, frame_nonce(index), &aad, &sealed)?);
                    return c.0.is_empty().then_some(Decoded { context, plaintext });
                }
                _ => return None,
            }
            index += 1;
        }
    }
}

#[test]
fn the_spec_reader_opens_what_the_crate_seals() {
    let keyring = [0x61; 16];
    let kek_key = [0x62; 32];
    let kek = Kek::new(keyring, 9, KeyBytes::from_array(kek_key));
    let bg_private = [0x63; 32];
    let bg_id = [0x64; 16];
    let bg = BreakGlassSecret::from_text(&format!(
        "PHIGUARD-BREAK-GLASS-KEY-1-{}-{}",
        hex::encode(&bg_id),
        hex::encode(&bg_private)
    ))
    .unwrap();
    let context = context(&[("b", "2"), ("a", "1"), ("é", "x"), ("Z", "")]);
    for (i, size) in [0, 1, FRAME - 1, FRAME, FRAME + 1, 3 * FRAME + 7]
        .into_iter()
        .enumerate()
    {
        let data = content(i as u64, size);
        let sealed = seal(
            Recipients {
                kek: &kek,
                break_glass: &[bg.public().unwrap()],
            },
            &context,
            &data,
        )
        .unwrap();
        for key in [
            spec::Key::Kek {
                keyring,
                version: 9,
                key: &kek_key,
            },
            spec::Key::BreakGlass {
                id: bg_id,
                private: &bg_private,
            },
        ] {
            let decoded = spec::decode(&key, &sealed).expect("the spec reader opens it");
            assert!(decoded.plaintext == data, "size {size}");
            let expected: Vec<(String, String)> = context
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            assert_eq!(decoded.context, expected, "keys ascending by bytes");
            // And it refuses what the crate refuses.
            let mut bad = sealed.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert!(spec::decode(&key, &bad).is_none());
        }
    }
}

/// The inputs of the worked example in `docs/formats/ciphertext.md` §9.
fn example_inputs() -> spec::Inputs {
    let seq = |start: u8| -> [u8; 32] { std::array::from_fn(|i| start + i as u8) };
    let seq16 = |start: u8| -> [u8; 16] { std::array::from_fn(|i| start + i as u8) };
    spec::Inputs {
        data_key: seq(0x00),
        message_id: seq(0xa0),
        context: vec![("purpose", "backup"), ("record", "p-7f3a9c")],
        keyring: seq16(0x70),
        kek_version: 1,
        kek: seq(0x20),
        kek_nonce: std::array::from_fn(|i| 0xc0 + i as u8),
        break_glass_id: seq16(0xe0),
        // RFC 7748 §6.1: Bob's private key as the break-glass key, Alice's as the ephemeral.
        break_glass_private: hex::decode(
            "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
        )
        .unwrap()
        .try_into()
        .unwrap(),
        ephemeral_private: hex::decode(
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
        )
        .unwrap()
        .try_into()
        .unwrap(),
        frame_size: 65536,
        plaintext: b"hello, phiguard\n".to_vec(),
    }
}

/// The listing the document shows: one field per line, hex then note.
fn listing(fields: &[spec::Field]) -> String {
    let mut out = String::new();
    let mut offset = 0;
    for field in fields {
        out.push_str(&format!(
            "{offset:04x}  {:<64}  {}\n",
            hex::encode(&field.bytes),
            field.note
        ));
        offset += field.bytes.len();
    }
    out
}

fn hex_lines(bytes: &[u8]) -> String {
    bytes
        .chunks(32)
        .map(|line| format!("{}\n", hex::encode(line)))
        .collect()
}

#[test]
fn the_worked_example_matches_the_document_and_opens() {
    let inputs = example_inputs();
    let fields = spec::encode(&inputs);
    let sealed: Vec<u8> = fields.iter().flat_map(|f| f.bytes.clone()).collect();

    // Intermediate values, as the document lists them.
    let keys = spec::message_keys(&inputs.data_key, &inputs.message_id);
    let recipient_public = spec::x25519_public(&inputs.break_glass_private);
    let ephemeral_public = spec::x25519_public(&inputs.ephemeral_private);
    let shared = spec::x25519(&inputs.ephemeral_private, &recipient_public);
    // RFC 7748 §6.1 values, so the X25519 inputs are the published ones.
    assert_eq!(
        hex::encode(&recipient_public),
        "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
    );
    assert_eq!(
        hex::encode(&ephemeral_public),
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
    );
    assert_eq!(
        hex::encode(&shared),
        "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
    );
    let wrap_key = spec::break_glass_key(
        &shared,
        &ephemeral_public,
        &recipient_public,
        &inputs.break_glass_id,
        &inputs.message_id,
    );
    let derived: String = [
        ("frame key", &keys.frame),
        ("header key", &keys.header),
        ("key commitment", &keys.commitment),
        ("break-glass public key", &recipient_public),
        ("ephemeral public key", &ephemeral_public),
        ("X25519 shared secret", &shared),
        ("break-glass wrap key", &wrap_key),
    ]
    .iter()
    .map(|(name, value)| format!("{name:<24}{}\n", hex::encode(&value[..])))
    .collect();

    let doc_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/formats/ciphertext.md"
    );
    let doc = std::fs::read_to_string(doc_path).unwrap();
    let listing = listing(&fields);
    let dump = hex_lines(&sealed);
    let missing: Vec<String> = [
        ("derived values", &derived),
        ("listing", &listing),
        ("hex", &dump),
    ]
    .into_iter()
    .filter(|(_, block)| !doc.contains(block.as_str()))
    .map(|(what, block)| format!("--- {what}:\n{block}"))
    .collect();
    assert!(
        missing.is_empty(),
        "docs/formats/ciphertext.md §9 does not show the example as this code computes it; \
         it should read:\n{}",
        missing.join("")
    );
    assert!(doc.contains(&format!("{} bytes", sealed.len())));

    // The crate opens it with the KEK and with the break-glass key.
    let kek = Kek::new(
        inputs.keyring,
        inputs.kek_version,
        KeyBytes::from_array(inputs.kek),
    );
    let expected_context = context(&inputs.context);
    let (opened, plain) = unseal(&kek, &sealed).unwrap();
    assert_eq!(plain, inputs.plaintext);
    assert_eq!(opened.context, expected_context);
    assert_eq!(opened.plaintext_bytes, inputs.plaintext.len() as u64);
    let bg = BreakGlassSecret::from_text(&format!(
        "PHIGUARD-BREAK-GLASS-KEY-1-{}-{}",
        hex::encode(&inputs.break_glass_id),
        hex::encode(&inputs.break_glass_private)
    ))
    .unwrap();
    assert_eq!(bg.public().unwrap().public, recipient_public);
    assert_eq!(unseal(&bg, &sealed).unwrap().1, inputs.plaintext);
    // The crate's header encoder gives the same header bytes back.
    let header = read_header(&sealed[..]).unwrap();
    assert_eq!(sealed[..header.encode().len()], header.encode()[..]);
    // And the spec reader opens it too.
    let decoded = spec::decode(
        &spec::Key::Kek {
            keyring: inputs.keyring,
            version: 1,
            key: &inputs.kek,
        },
        &sealed,
    )
    .unwrap();
    assert_eq!(decoded.plaintext, inputs.plaintext);

    // As the document promises, every single flipped bit is refused, by both keys.
    for bit in 0..sealed.len() * 8 {
        let mut bad = sealed.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        assert!(unseal(&kek, &bad).is_err(), "bit {bit}, KEK");
        assert!(unseal(&bg, &bad).is_err(), "bit {bit}, break-glass");
    }
}

#[test]
fn the_crate_opens_other_frame_sizes_the_format_allows() {
    for (frame_size, len) in [(4096u32, 3 * 4096 + 17), (8192, 2 * 8192), (1 << 20, 1)] {
        let mut inputs = example_inputs();
        inputs.frame_size = frame_size;
        inputs.plaintext = content(u64::from(frame_size), len);
        let fields = spec::encode(&inputs);
        let sealed: Vec<u8> = fields.iter().flat_map(|f| f.bytes.clone()).collect();
        let kek = Kek::new(inputs.keyring, 1, KeyBytes::from_array(inputs.kek));
        let (opened, plain) = unseal(&kek, &sealed).unwrap();
        assert!(plain == inputs.plaintext, "frame size {frame_size}");
        assert_eq!(opened.plaintext_bytes, len as u64);

        // Frames of this size are still checked for order and completeness.
        let header = read_header(&sealed[..]).unwrap().encode().len();
        let regular = 1 + frame_size as usize + TAG;
        if len >= 2 * frame_size as usize {
            let mut swapped = sealed.clone();
            swapped[header..header + 2 * regular].rotate_left(regular);
            assert_err!(
                unseal(&kek, &swapped),
                UnsealError::FrameMoved {
                    position: 0,
                    original: 1
                },
                "frame size {frame_size}"
            );
            assert_err!(
                unseal(&kek, &sealed[..header + regular]),
                UnsealError::Truncated { frames: 1 },
                "frame size {frame_size}"
            );
        }
    }
}

/// Reads `data`, then fails.
struct FailingReader<'a> {
    data: &'a [u8],
}

impl Read for FailingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.data.is_empty() {
            return Err(io::Error::other("the disk went away"));
        }
        let n = buf.len().min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Writes nothing.
struct FailingWriter;

impl Write for FailingWriter {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::other("the disk is full"))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn io_failures_are_read_or_write_errors() {
    let kek = kek(1, 1);
    let data = content(1, FRAME + 1);
    let sealed = seal(only(&kek), &Context::new(), &data).unwrap();
    let header = header_len(&sealed);
    let mid_frame = FailingReader {
        data: &sealed[..header + 100],
    };

    assert_err!(
        seal_stream(
            only(&kek),
            &Context::new(),
            FailingReader { data: &data[..10] },
            Vec::new(),
            &mut |_| {}
        ),
        SealError::Read(_)
    );
    assert_err!(
        seal_stream(
            only(&kek),
            &Context::new(),
            &data[..],
            FailingWriter,
            &mut |_| {}
        ),
        SealError::Write(_)
    );
    assert_err!(
        unseal_stream(&kek, mid_frame, Vec::new(), &mut |_| {}),
        UnsealError::Read(_)
    );
    assert_err!(
        unseal_stream(&kek, &sealed[..], FailingWriter, &mut |_| {}),
        UnsealError::Write(_)
    );
    assert_err!(
        unseal_stream(
            &kek,
            FailingReader {
                data: &sealed[..10]
            },
            Vec::new(),
            &mut |_| {}
        ),
        UnsealError::Read(_)
    );
    assert_err!(
        rewrap_stream(&kek, only(&kek), &sealed[..], FailingWriter),
        UnsealError::Write(_)
    );
    // Input that fails after the header, while the frames are copied, is a read failure
    // (`rewrap_stream` maps every error of its `io::copy` to `Write`).
    let mid_frame = FailingReader {
        data: &sealed[..header + 100],
    };
    assert_err!(
        rewrap_stream(&kek, only(&kek), mid_frame, Vec::new()),
        UnsealError::Read(_)
    );
}

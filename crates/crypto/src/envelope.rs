//! Sealing and opening: a fresh data key per message, its header, and AES-256-GCM frames.
//!
//! After the header come frames of `frame size` plaintext bytes each:
//!
//! ```text
//! regular frame: kind u8 = 0 | ciphertext [frame size] | tag [16]
//! final frame:   kind u8 = 1 | length u32 (< frame size) | ciphertext [length] | tag [16]
//! ```
//!
//! Frame `i` is encrypted under the message's frame key with nonce `0u32 ‖ i as u64` and
//! 13 bytes of additional data `i as u64 ‖ kind u8 ‖ length u32` (length 0 for a regular
//! frame). The final frame is
//! always present and always shorter than a full frame (possibly empty), so the writer
//! never needs to look ahead, and a reader knows the data ended where the writer ended it.

use std::io::{Read, Write};

use aws_lc_rs::aead::{Aad, LessSafeKey, NONCE_LEN, Nonce};
use aws_lc_rs::{constant_time, hkdf, hmac};

use crate::error::{SealError, UnsealError};
use crate::format::{Context, FRAME_SIZE, Header, Stanza, TAG_LEN};
use crate::secret::{KeyBytes, fill_random};
use crate::wrap::{self, BreakGlassPublic, Kek};

const KIND_REGULAR: u8 = 0;
const KIND_FINAL: u8 = 1;
/// Bytes gathered into one read or write, so a large file costs few system calls.
const BATCH_BYTES: usize = 1 << 20;
/// How many bytes may be decrypted looking for the position of a frame that fails to
/// authenticate, to tell a moved or repeated frame from an altered one: 4096 positions on
/// either side for 64 KiB frames, fewer for larger ones.
const DIAGNOSIS_BUDGET: usize = 512 << 20;

/// Frames per batch: at least one, and about [`BATCH_BYTES`] of them.
fn batch_frames(frame_size: usize) -> usize {
    (BATCH_BYTES / frame_size.max(1)).max(1)
}

/// Opens the data key of a message from one of its header stanzas.
pub trait KeyOpener {
    /// The data key, and a description of the stanza that opened it.
    fn open_data_key(&self, header: &Header) -> Result<(KeyBytes, String), UnsealError>;
}

/// Who can open what is sealed: the current KEK, and every enrolled break-glass key.
#[derive(Debug, Clone, Copy)]
pub struct Recipients<'a> {
    pub kek: &'a Kek,
    pub break_glass: &'a [BreakGlassPublic],
}

/// What opening found, besides the plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub context: Context,
    /// The stanza that opened the data key.
    pub opened_with: String,
    /// Every recipient the data was sealed for.
    pub recipients: Vec<String>,
    pub plaintext_bytes: u64,
}

/// The keys of one message, derived from its data key and message id.
struct MessageKeys {
    frames: LessSafeKey,
    header: hmac::Key,
    commitment: KeyBytes,
}

impl MessageKeys {
    fn derive(
        data_key: &KeyBytes,
        message_id: &[u8; 32],
    ) -> Result<MessageKeys, aws_lc_rs::error::Unspecified> {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, message_id).extract(data_key.expose());
        let frames = wrap::expand(&prk, &[b"phiguard v1 frame key"])?;
        let header = wrap::expand(&prk, &[b"phiguard v1 header key"])?;
        let commitment = wrap::expand(&prk, &[b"phiguard v1 key commitment"])?;
        Ok(MessageKeys {
            frames: wrap::gcm(&frames)?,
            header: hmac::Key::new(hmac::HMAC_SHA256, header.expose()),
            commitment,
        })
    }

    fn sign(&self, header: &mut Header) {
        let tag = hmac::sign(&self.header, &header.authenticated_bytes());
        header.tag.copy_from_slice(tag.as_ref());
    }
}

fn nonce(index: u64) -> Nonce {
    let mut nonce = [0u8; NONCE_LEN];
    nonce[4..].copy_from_slice(&index.to_be_bytes());
    Nonce::assume_unique_for_key(nonce)
}

/// Additional data of frame `index`: its position and kind, and the final frame's length,
/// so moving, dropping or re-marking a frame breaks its tag.
fn frame_aad(index: u64, kind: u8, length: Option<u32>) -> [u8; 13] {
    let mut aad = [0u8; 13];
    aad[..8].copy_from_slice(&index.to_be_bytes());
    aad[8] = kind;
    if let Some(length) = length {
        aad[9..].copy_from_slice(&length.to_be_bytes());
    }
    aad
}

/// A fresh data key and message id, the header for `recipients`, and the message's keys.
fn new_message(
    recipients: Recipients<'_>,
    context: &Context,
) -> Result<(Header, MessageKeys), SealError> {
    let data_key = KeyBytes::generate()?;
    let mut message_id = [0u8; 32];
    fill_random(&mut message_id)?;
    let keys = MessageKeys::derive(&data_key, &message_id).map_err(|_| SealError::Cipher)?;
    let mut stanzas = vec![recipients.kek.wrap(&message_id, &data_key)?];
    for public in recipients.break_glass {
        stanzas.push(public.wrap(&message_id, &data_key)?);
    }
    if stanzas.len() > crate::format::MAX_STANZAS {
        return Err(SealError::TooManyRecipients(stanzas.len()));
    }
    let mut header = Header {
        frame_size: FRAME_SIZE,
        message_id,
        context: context.clone(),
        stanzas,
        commitment: *keys.commitment.expose(),
        tag: [0; 32],
    };
    keys.sign(&mut header);
    Ok((header, keys))
}

/// Seals `plaintext` in memory.
pub fn seal(
    recipients: Recipients<'_>,
    context: &Context,
    plaintext: &[u8],
) -> Result<Vec<u8>, SealError> {
    let (header, keys) = new_message(recipients, context)?;
    let header = header.encode();
    let frame_size = FRAME_SIZE as usize;
    let regular = plaintext.len() / frame_size;
    let rest = plaintext.len() % frame_size;
    let mut out =
        vec![0u8; header.len() + regular * (1 + frame_size + TAG_LEN) + 5 + rest + TAG_LEN];
    out[..header.len()].copy_from_slice(&header);
    // Each frame is encrypted straight from the plaintext into its place in the output.
    let mut at = header.len();
    let mut index = 0u64;
    for chunk in plaintext.chunks_exact(frame_size) {
        out[at] = KIND_REGULAR;
        let (ciphertext, tag) = out[at + 1..at + 1 + frame_size + TAG_LEN].split_at_mut(frame_size);
        keys.frames
            .seal_out_of_place_scatter(
                nonce(index),
                Aad::from(frame_aad(index, KIND_REGULAR, None)),
                chunk,
                ciphertext,
                &[],
                tag,
            )
            .map_err(|_| SealError::Cipher)?;
        at += 1 + frame_size + TAG_LEN;
        index += 1;
    }
    let length = rest as u32;
    out[at] = KIND_FINAL;
    out[at + 1..at + 5].copy_from_slice(&length.to_be_bytes());
    let (ciphertext, tag) = out[at + 5..].split_at_mut(rest);
    keys.frames
        .seal_out_of_place_scatter(
            nonce(index),
            Aad::from(frame_aad(index, KIND_FINAL, Some(length))),
            &plaintext[plaintext.len() - rest..],
            ciphertext,
            &[],
            tag,
        )
        .map_err(|_| SealError::Cipher)?;
    Ok(out)
}

/// Reads until `buffer` is full or the input ends; returns how much was read.
fn read_full(input: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Seals everything `input` yields into `output`, in constant memory. `progress` is called
/// with the plaintext bytes sealed so far. Returns the plaintext length.
pub fn seal_stream(
    recipients: Recipients<'_>,
    context: &Context,
    mut input: impl Read,
    mut output: impl Write,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, SealError> {
    let (header, keys) = new_message(recipients, context)?;
    output
        .write_all(&header.encode())
        .map_err(SealError::Write)?;
    let frame_size = FRAME_SIZE as usize;
    let slot = 1 + 4 + frame_size + TAG_LEN;
    let mut batch = vec![0u8; batch_frames(frame_size) * slot];
    let mut used = 0;
    let mut index = 0u64;
    let mut total = 0u64;
    loop {
        // Plaintext is read straight into its place in the batch and encrypted there.
        let start = used;
        let body = start + 1;
        let read =
            read_full(&mut input, &mut batch[body..body + frame_size]).map_err(SealError::Read)?;
        total += read as u64;
        if read == frame_size {
            batch[start] = KIND_REGULAR;
            let tag = keys
                .frames
                .seal_in_place_separate_tag(
                    nonce(index),
                    Aad::from(frame_aad(index, KIND_REGULAR, None)),
                    &mut batch[body..body + frame_size],
                )
                .map_err(|_| SealError::Cipher)?;
            batch[body + frame_size..body + frame_size + TAG_LEN].copy_from_slice(tag.as_ref());
            used = body + frame_size + TAG_LEN;
            index += 1;
            if used + slot > batch.len() {
                output.write_all(&batch[..used]).map_err(SealError::Write)?;
                used = 0;
                progress(total);
            }
            continue;
        }
        // The final frame: shorter than a full one, with its length before the ciphertext.
        let length = read as u32;
        batch.copy_within(body..body + read, body + 4);
        batch[start] = KIND_FINAL;
        batch[body..body + 4].copy_from_slice(&length.to_be_bytes());
        let data = body + 4;
        let tag = keys
            .frames
            .seal_in_place_separate_tag(
                nonce(index),
                Aad::from(frame_aad(index, KIND_FINAL, Some(length))),
                &mut batch[data..data + read],
            )
            .map_err(|_| SealError::Cipher)?;
        batch[data + read..data + read + TAG_LEN].copy_from_slice(tag.as_ref());
        used = data + read + TAG_LEN;
        output.write_all(&batch[..used]).map_err(SealError::Write)?;
        output.flush().map_err(SealError::Write)?;
        progress(total);
        return Ok(total);
    }
}

/// Reads the header, opens the data key, and checks the key commitment and the header tag,
/// in that order: a data key that does not match the commitment is refused before it is
/// used for anything.
fn open_header(
    opener: &dyn KeyOpener,
    input: &mut impl Read,
) -> Result<(Header, KeyBytes, MessageKeys, String), UnsealError> {
    let header = Header::read(input)?;
    let (data_key, opened_with) = opener.open_data_key(&header)?;
    let keys = MessageKeys::derive(&data_key, &header.message_id)
        .map_err(|_| UnsealError::KeyCommitment)?;
    constant_time::verify_slices_are_equal(keys.commitment.expose(), &header.commitment)
        .map_err(|_| UnsealError::KeyCommitment)?;
    hmac::verify(&keys.header, &header.authenticated_bytes(), &header.tag)
        .map_err(|_| UnsealError::HeaderAltered)?;
    Ok((header, data_key, keys, opened_with))
}

/// Reads only the header, without opening anything: who it is for and its context.
pub fn read_header(mut input: impl Read) -> Result<Header, UnsealError> {
    Header::read(&mut input)
}

/// Opens sealed data in memory.
pub fn unseal(opener: &dyn KeyOpener, sealed: &[u8]) -> Result<(Opened, Vec<u8>), UnsealError> {
    let mut rest = sealed;
    let (header, _, keys, opened_with) = open_header(opener, &mut rest)?;
    let frame_size = header.frame_size as usize;
    // Frames are decrypted straight from the input into one output buffer: the plaintext
    // is never longer than what is left of the input.
    let mut plaintext = vec![0u8; rest.len()];
    let mut written = 0;
    let mut index = 0u64;
    loop {
        let frame = match split_frame(rest, frame_size, index)? {
            Split::Frame(frame) => frame,
            Split::Need(_) => return Err(UnsealError::Truncated { frames: index }),
        };
        let length = frame.ciphertext.len();
        open_frame(
            &keys.frames,
            index,
            &frame,
            &mut plaintext[written..written + length],
            frame_size,
        )?;
        written += length;
        rest = &rest[frame.encoded_len..];
        if frame.kind == KIND_FINAL {
            if !rest.is_empty() {
                return Err(UnsealError::TrailingData);
            }
            plaintext.truncate(written);
            return Ok((opened(&header, opened_with, written as u64), plaintext));
        }
        index += 1;
    }
}

fn opened(header: &Header, opened_with: String, plaintext_bytes: u64) -> Opened {
    Opened {
        context: header.context.clone(),
        opened_with,
        recipients: header.stanzas.iter().map(Stanza::describe).collect(),
        plaintext_bytes,
    }
}

/// Decrypts one frame into `out`, or says how it fails: altered, or moved from elsewhere.
fn open_frame(
    key: &LessSafeKey,
    index: u64,
    frame: &Frame<'_>,
    out: &mut [u8],
    frame_size: usize,
) -> Result<(), UnsealError> {
    let aad = frame_aad(index, frame.kind, frame.length);
    key.open_separate_gather(
        nonce(index),
        Aad::from(aad),
        frame.ciphertext,
        frame.tag,
        out,
    )
    .map_err(|_| {
        diagnose(
            key,
            index,
            frame.kind,
            frame.length,
            frame.ciphertext,
            frame.tag,
            frame_size,
        )
    })
}

/// Opens sealed data from `input` into `output`, in constant memory. Each frame is written
/// only after it authenticates, but a stream cut short is only known to be cut at its end:
/// a caller writing to a file must discard the file on error (the `phiguard unseal`
/// command writes to a temporary file and renames it only on success).
pub fn unseal_stream(
    opener: &dyn KeyOpener,
    input: impl Read,
    output: impl Write,
    progress: &mut dyn FnMut(u64),
) -> Result<Opened, UnsealError> {
    unseal_stream_requiring(opener, &Context::new(), input, output, progress)
}

/// [`unseal_stream`], refusing data whose context lacks any pair of `required` before a
/// single byte is decrypted.
pub fn unseal_stream_requiring(
    opener: &dyn KeyOpener,
    required: &Context,
    mut input: impl Read,
    mut output: impl Write,
    progress: &mut dyn FnMut(u64),
) -> Result<Opened, UnsealError> {
    let (header, _, keys, opened_with) = open_header(opener, &mut input)?;
    header.context.require(required)?;
    let frame_size = header.frame_size as usize;
    let mut frames = FrameReader::new(input, frame_size);
    let mut plain = vec![0u8; batch_frames(frame_size) * frame_size];
    let mut plain_used = 0;
    let mut index = 0u64;
    let mut total = 0u64;
    loop {
        let frame = frames.next_frame(index)?;
        let length = frame.ciphertext.len();
        open_frame(
            &keys.frames,
            index,
            &frame,
            &mut plain[plain_used..plain_used + length],
            frame_size,
        )?;
        plain_used += length;
        total += length as u64;
        let last = frame.kind == KIND_FINAL;
        if last || plain_used + frame_size > plain.len() {
            output
                .write_all(&plain[..plain_used])
                .map_err(UnsealError::Write)?;
            plain_used = 0;
            progress(total);
        }
        if last {
            frames.expect_end()?;
            output.flush().map_err(UnsealError::Write)?;
            return Ok(opened(&header, opened_with, total));
        }
        index += 1;
    }
}

/// Tells apart a frame that was altered from one that authenticates at another position.
fn diagnose(
    key: &LessSafeKey,
    position: u64,
    kind: u8,
    length: Option<u32>,
    ciphertext: &[u8],
    tag: &[u8],
    frame_size: usize,
) -> UnsealError {
    let mut scratch = vec![0u8; ciphertext.len()];
    // Counted in whole frames even for a short final frame, and never more than 4096
    // positions either way, so a failure costs a bounded, small amount of work.
    let window = (DIAGNOSIS_BUDGET / frame_size / 2).min(4096) as u64;
    let earliest = position.saturating_sub(window);
    let latest = position.saturating_add(window);
    for original in (earliest..=latest).filter(|j| *j != position) {
        let aad = frame_aad(original, kind, length);
        if key
            .open_separate_gather(
                nonce(original),
                Aad::from(aad),
                ciphertext,
                tag,
                &mut scratch,
            )
            .is_ok()
        {
            return if original < position {
                UnsealError::FrameRepeated { position, original }
            } else {
                UnsealError::FrameMoved { position, original }
            };
        }
    }
    UnsealError::FrameAltered { index: position }
}

struct Frame<'a> {
    kind: u8,
    length: Option<u32>,
    ciphertext: &'a [u8],
    tag: &'a [u8],
    /// Bytes the frame takes in the sealed data.
    encoded_len: usize,
}

enum Split<'a> {
    Frame(Frame<'a>),
    /// The frame is not complete: this many bytes are needed from its start.
    Need(usize),
}

/// Reads the frame at the start of `bytes`, if all of it is there.
fn split_frame(bytes: &[u8], frame_size: usize, index: u64) -> Result<Split<'_>, UnsealError> {
    let Some(&kind) = bytes.first() else {
        return Ok(Split::Need(1));
    };
    let (header_len, length) = match kind {
        KIND_REGULAR => (1, frame_size),
        KIND_FINAL => {
            let Some(field) = bytes.get(1..5) else {
                return Ok(Split::Need(5));
            };
            let mut length = [0u8; 4];
            length.copy_from_slice(field);
            let length = u32::from_be_bytes(length) as usize;
            if length >= frame_size {
                return Err(UnsealError::FrameAltered { index });
            }
            (5, length)
        }
        _ => return Err(UnsealError::FrameAltered { index }),
    };
    let encoded_len = header_len + length + TAG_LEN;
    let Some(body) = bytes.get(header_len..encoded_len) else {
        return Ok(Split::Need(encoded_len));
    };
    let (ciphertext, tag) = body.split_at(length);
    Ok(Split::Frame(Frame {
        kind,
        length: (kind == KIND_FINAL).then_some(length as u32),
        ciphertext,
        tag,
        encoded_len,
    }))
}

/// Splits the frames out of the input, reading many at a time.
struct FrameReader<R> {
    input: R,
    frame_size: usize,
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    at_eof: bool,
}

impl<R: Read> FrameReader<R> {
    fn new(input: R, frame_size: usize) -> FrameReader<R> {
        FrameReader {
            input,
            frame_size,
            buffer: vec![0u8; batch_frames(frame_size) * (1 + 4 + frame_size + TAG_LEN)],
            start: 0,
            end: 0,
            at_eof: false,
        }
    }

    /// Makes at least `needed` bytes available from `start`, unless the input ends first;
    /// returns whether they are.
    fn fill(&mut self, needed: usize) -> Result<bool, UnsealError> {
        if self.end - self.start >= needed {
            return Ok(true);
        }
        if self.start + needed > self.buffer.len() {
            self.buffer.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        while self.end - self.start < needed && !self.at_eof {
            match self.input.read(&mut self.buffer[self.end..]) {
                Ok(0) => self.at_eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(UnsealError::Read(e)),
            }
        }
        Ok(self.end - self.start >= needed)
    }

    fn next_frame(&mut self, index: u64) -> Result<Frame<'_>, UnsealError> {
        // First make the whole frame available, then hand out a view of it (two passes over
        // a few header bytes keep the borrow of the buffer out of the loop that refills it).
        let mut needed = 1;
        let encoded_len = loop {
            if !self.fill(needed)? {
                return Err(UnsealError::Truncated { frames: index });
            }
            match split_frame(&self.buffer[self.start..self.end], self.frame_size, index)? {
                Split::Need(more) => needed = more,
                Split::Frame(frame) => break frame.encoded_len,
            }
        };
        let start = self.start;
        self.start += encoded_len;
        match split_frame(&self.buffer[start..self.end], self.frame_size, index)? {
            Split::Frame(frame) => Ok(frame),
            Split::Need(_) => Err(UnsealError::Truncated { frames: index }),
        }
    }

    fn expect_end(&mut self) -> Result<(), UnsealError> {
        if self.fill(1)? {
            return Err(UnsealError::TrailingData);
        }
        Ok(())
    }
}

/// Replaces the wrapped data keys of sealed data with ones for `recipients`, and copies the
/// frames unchanged: no data is decrypted or re-encrypted. The header is checked (key
/// commitment and tag) before anything is written, and signed again afterwards.
pub fn rewrap_stream(
    opener: &dyn KeyOpener,
    recipients: Recipients<'_>,
    mut input: impl Read,
    mut output: impl Write,
) -> Result<Header, UnsealError> {
    let (header, data_key, keys, _) = open_header(opener, &mut input)?;
    let sealing = |e: SealError| match e {
        SealError::Random(r) => UnsealError::Random(r),
        _ => UnsealError::Cipher,
    };
    let mut stanzas = vec![
        recipients
            .kek
            .wrap(&header.message_id, &data_key)
            .map_err(sealing)?,
    ];
    for public in recipients.break_glass {
        stanzas.push(
            public
                .wrap(&header.message_id, &data_key)
                .map_err(sealing)?,
        );
    }
    // Recipients of kinds this version cannot create are kept as they were.
    stanzas.extend(
        header
            .stanzas
            .iter()
            .filter(|s| matches!(s, Stanza::Unknown { .. }))
            .cloned(),
    );
    // Checked before anything is written: a header with too many recipients could not be
    // read back, and the caller would replace a good file with it.
    if stanzas.len() > crate::format::MAX_STANZAS {
        return Err(UnsealError::TooManyRecipients(stanzas.len()));
    }
    let mut rewrapped = Header { stanzas, ..header };
    keys.sign(&mut rewrapped);
    output
        .write_all(&rewrapped.encode())
        .map_err(UnsealError::Write)?;
    let mut buffer = vec![0u8; BATCH_BYTES];
    loop {
        let read = match input.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(UnsealError::Read(e)),
        };
        output
            .write_all(&buffer[..read])
            .map_err(UnsealError::Write)?;
    }
    output.flush().map_err(UnsealError::Write)?;
    Ok(rewrapped)
}

/// Test-only access to the message keys, to build hostile inputs.
#[cfg(test)]
pub(crate) fn sign_header_with(data_key: &KeyBytes, header: &mut Header) {
    if let Ok(keys) = MessageKeys::derive(data_key, &header.message_id) {
        keys.sign(header);
    }
}

#[cfg(test)]
mod tests;

//! Just enough of the LZ4 frame format to read apt's package lists.
//!
//! With `Acquire::GzipIndexes "true"` (set by Debian's and Ubuntu's container images, so
//! most hosts that run containers have it), apt keeps its lists compressed, as
//! `..._Packages.lz4`. Reading those in-process keeps phiguard free of a compression
//! library for this one format. Content and block checksums (xxHash32) are not verified:
//! apt checked the list's SHA-256 against the signed `InRelease` when it downloaded it,
//! and a corrupt frame is still caught by the format's own bounds.

/// Why a `.lz4` file could not be decompressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lz4Error(pub(crate) &'static str);

/// The most a list may decompress to: far above Debian's largest `Packages` (about
/// 100 MB), low enough that a crafted file cannot exhaust memory.
const MAX_OUTPUT: usize = 2 << 30;

const FRAME_MAGIC: u32 = 0x184D_2204;
/// Skippable frames have magic numbers `0x184D2A50` to `0x184D2A5F`.
const SKIPPABLE_MASK: u32 = 0xFFFF_FFF0;
const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;

/// Decompresses every frame of an LZ4 frame-format file (`lz4` tool, apt).
pub fn decompress(input: &[u8]) -> Result<Vec<u8>, Lz4Error> {
    let mut reader = Reader { input, at: 0 };
    let mut out = Vec::new();
    if input.is_empty() {
        return Err(Lz4Error("the file is empty"));
    }
    while reader.at < input.len() {
        let magic = reader.u32()?;
        if magic & SKIPPABLE_MASK == SKIPPABLE_MAGIC {
            let size = reader.u32()?;
            reader.take(usize::try_from(size).map_err(|_| Lz4Error("frame too large"))?)?;
            continue;
        }
        if magic != FRAME_MAGIC {
            return Err(Lz4Error("not an LZ4 frame (wrong magic number)"));
        }
        frame(&mut reader, &mut out)?;
    }
    Ok(out)
}

fn frame(reader: &mut Reader<'_>, out: &mut Vec<u8>) -> Result<(), Lz4Error> {
    let flags = reader.u8()?;
    let _block_descriptor = reader.u8()?;
    if flags >> 6 != 0b01 {
        return Err(Lz4Error("unsupported LZ4 frame version"));
    }
    let block_checksum = flags & 0b0001_0000 != 0;
    let content_size = flags & 0b0000_1000 != 0;
    let content_checksum = flags & 0b0000_0100 != 0;
    let dictionary = flags & 0b0000_0001 != 0;
    if dictionary {
        return Err(Lz4Error(
            "LZ4 frames with a preset dictionary are not supported",
        ));
    }
    if content_size {
        reader.take(8)?;
    }
    let _header_checksum = reader.u8()?;
    loop {
        let size = reader.u32()?;
        if size == 0 {
            break;
        }
        let stored = size & 0x8000_0000 != 0;
        let size = usize::try_from(size & 0x7FFF_FFFF).map_err(|_| Lz4Error("block too large"))?;
        let data = reader.take(size)?;
        if stored {
            if out.len().saturating_add(data.len()) > MAX_OUTPUT {
                return Err(Lz4Error("decompresses to more than 2 GiB"));
            }
            out.extend_from_slice(data);
        } else {
            block(data, out)?;
        }
        if block_checksum {
            reader.take(4)?;
        }
    }
    if content_checksum {
        reader.take(4)?;
    }
    Ok(())
}

/// Decodes one compressed block, appending to `out`. Matches may reach back into earlier
/// blocks (linked blocks), which are already in `out`.
fn block(data: &[u8], out: &mut Vec<u8>) -> Result<(), Lz4Error> {
    let mut reader = Reader { input: data, at: 0 };
    loop {
        let token = reader.u8()?;
        let literals = reader.length(usize::from(token >> 4))?;
        let bytes = reader.take(literals)?;
        if out.len().saturating_add(bytes.len()) > MAX_OUTPUT {
            return Err(Lz4Error("decompresses to more than 2 GiB"));
        }
        out.extend_from_slice(bytes);
        if reader.at == data.len() {
            // The last sequence of a block has literals only.
            return Ok(());
        }
        let low = reader.u8()?;
        let high = reader.u8()?;
        let offset = usize::from(u16::from_le_bytes([low, high]));
        if offset == 0 || offset > out.len() {
            return Err(Lz4Error("a match refers to data before the start"));
        }
        let length = reader.length(usize::from(token & 0x0F))?.saturating_add(4);
        if out.len().saturating_add(length) > MAX_OUTPUT {
            return Err(Lz4Error("decompresses to more than 2 GiB"));
        }
        let start = out.len() - offset;
        if length <= offset {
            out.extend_from_within(start..start + length);
        } else {
            // Overlapping match: it repeats the last `offset` bytes, byte by byte.
            for i in start..start + length {
                let byte = out.get(i).copied().unwrap_or_default();
                out.push(byte);
            }
        }
    }
}

struct Reader<'a> {
    input: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Lz4Error> {
        let end = self
            .at
            .checked_add(n)
            .ok_or(Lz4Error("the file is truncated"))?;
        let bytes = self
            .input
            .get(self.at..end)
            .ok_or(Lz4Error("the file is truncated"))?;
        self.at = end;
        Ok(bytes)
    }

    fn u8(&mut self) -> Result<u8, Lz4Error> {
        Ok(self.take(1)?.first().copied().unwrap_or_default())
    }

    fn u32(&mut self) -> Result<u32, Lz4Error> {
        let bytes = self.take(4)?;
        let mut word = [0u8; 4];
        word.copy_from_slice(bytes);
        Ok(u32::from_le_bytes(word))
    }

    /// A literal or match length: the token's nibble, extended by bytes while they are 255.
    fn length(&mut self, nibble: usize) -> Result<usize, Lz4Error> {
        let mut length = nibble;
        if nibble == 15 {
            loop {
                let byte = self.u8()?;
                length = length
                    .checked_add(usize::from(byte))
                    .filter(|&l| l <= MAX_OUTPUT)
                    .ok_or(Lz4Error("decompresses to more than 2 GiB"))?;
                if byte != 255 {
                    break;
                }
            }
        }
        Ok(length)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_hand_made_frame() {
        // "abcabcabcabc!" : literals "abc", a match of 9 at offset 3 (overlapping), "!".
        let mut frame = vec![0x04, 0x22, 0x4D, 0x18, 0x40, 0x40, 0x00];
        let block = [0x35, b'a', b'b', b'c', 3, 0, 0x10, b'!'];
        frame.extend_from_slice(&u32::try_from(block.len()).unwrap().to_le_bytes());
        frame.extend_from_slice(&block);
        // A stored (uncompressed) block.
        frame.extend_from_slice(&(0x8000_0002u32).to_le_bytes());
        frame.extend_from_slice(b"\n.");
        frame.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(decompress(&frame).unwrap(), b"abcabcabcabc!\n.");
    }

    /// Every `.lz4` list apt wrote on this machine decodes to exactly what the `lz4` tool
    /// gives.
    #[test]
    fn real_apt_lists_match_the_lz4_tool() {
        let Some(lz4) = phiguard_testkit::program("lz4", "lz4") else {
            return;
        };
        let Ok(entries) = std::fs::read_dir("/var/lib/apt/lists") else {
            return;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "lz4") {
                continue;
            }
            let expected = std::process::Command::new(&lz4)
                .arg("-dc")
                .arg(&path)
                .output()
                .unwrap();
            assert!(expected.status.success(), "{expected:?}");
            let ours = decompress(&std::fs::read(&path).unwrap()).unwrap();
            assert!(ours == expected.stdout, "{}", path.display());
        }
    }

    #[test]
    fn broken_frames_are_errors() {
        assert!(decompress(b"").is_err());
        assert!(decompress(b"Package: a\n").is_err());
        assert!(decompress(&[0x04, 0x22, 0x4D, 0x18, 0x40]).is_err());
        // A match before the start of the output.
        let mut frame = vec![0x04, 0x22, 0x4D, 0x18, 0x40, 0x40, 0x00, 4, 0, 0, 0];
        frame.extend_from_slice(&[0x10, b'a', 9, 0]);
        assert!(decompress(&frame).is_err());
    }
}

//! `/proc/swaps`: the swap areas in use, where memory holding ePHI may be written to disk.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use super::mountinfo::unescape;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swap {
    pub(crate) path: PathBuf,
    pub(crate) kind: SwapKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SwapKind {
    /// A block device: its own encryption decides.
    Partition,
    /// A file: the file system it is on decides.
    File,
}

/// Parses `/proc/swaps`: a header line, then `path type size used priority` per swap area.
/// Anything else is an error with its line number (1-based).
pub fn parse(bytes: &[u8]) -> Result<Vec<Swap>, (usize, String)> {
    let mut lines = bytes.split(|&b| b == b'\n').enumerate();
    match lines.next() {
        Some((_, header)) if header.starts_with(b"Filename") => {}
        // An empty file: no header, no swap.
        Some((_, [])) => return Ok(Vec::new()),
        _ => {
            return Err((
                1,
                "the header line (Filename Type Size Used Priority) is missing".to_owned(),
            ));
        }
    }
    let mut swaps = Vec::new();
    for (index, line) in lines {
        if line.is_empty() {
            continue;
        }
        swaps.push(parse_line(line).map_err(|problem| (index + 1, problem))?);
    }
    Ok(swaps)
}

fn parse_line(line: &[u8]) -> Result<Swap, String> {
    let fields: Vec<&[u8]> = line
        .split(|&b| b == b' ' || b == b'\t')
        .filter(|f| !f.is_empty())
        .collect();
    let [path, kind, size, used, priority] = fields[..] else {
        return Err(format!(
            "expected 5 fields (path, type, size, used, priority), found {}",
            fields.len()
        ));
    };
    let kind = match kind {
        b"partition" => SwapKind::Partition,
        b"file" => SwapKind::File,
        other => {
            return Err(format!(
                "the swap type {:?} is neither partition nor file",
                String::from_utf8_lossy(other)
            ));
        }
    };
    let numeric = |field: &[u8]| {
        std::str::from_utf8(field)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .is_some()
    };
    if !(numeric(size) && numeric(used) && numeric(priority)) {
        return Err("size, used and priority must be numbers".to_owned());
    }
    Ok(Swap {
        path: PathBuf::from(OsString::from_vec(unescape(path))),
        kind,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;
    use std::path::Path;

    #[test]
    fn parses_partitions_and_files() {
        let text = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n\
                    /dev/dm-1                               partition\t2097148\t\t0\t\t-2\n\
                    /swap\\040file                          file\t\t1048572\t\t0\t\t-3\n";
        let swaps = parse(text.as_bytes()).unwrap();
        assert_eq!(
            swaps,
            [
                Swap {
                    path: "/dev/dm-1".into(),
                    kind: SwapKind::Partition
                },
                Swap {
                    path: "/swap file".into(),
                    kind: SwapKind::File
                },
            ]
        );
        assert_eq!(parse(b"Filename Type Size Used Priority\n").unwrap(), []);
        assert_eq!(parse(b"").unwrap(), []);
        assert_eq!(swaps[1].path, Path::new("/swap file"));
    }

    #[test]
    fn malformed_lines_are_numbered() {
        assert_eq!(parse(b"/dev/sda2 partition 1 0 -2\n").unwrap_err().0, 1);
        let bad = b"Filename Type Size Used Priority\n/dev/sda2 partition 1 0 -2\n/dev/sdb1 disk 1 0 -2\n";
        assert_eq!(
            parse(bad).unwrap_err(),
            (
                3,
                "the swap type \"disk\" is neither partition nor file".into()
            )
        );
        assert_eq!(
            parse(b"Filename\n/dev/sda2 partition big 0 -2\n")
                .unwrap_err()
                .0,
            2
        );
        assert_eq!(parse(b"Filename\n/dev/sda2 partition\n").unwrap_err().0, 2);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn swaps_like_text_never_panic(body in "([a-z/0-9\\- \t]{0,30}\n){0,6}") {
            let text = format!("Filename Type Size Used Priority\n{body}");
            let _ = parse(text.as_bytes());
        }
    }
}

//! `/proc/self/mountinfo`: which file system each path is on, and its device number.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

/// One line of mountinfo (proc_pid_mountinfo(5)), reduced to what the checks use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub(crate) mount_point: PathBuf,
    /// The device number (`major:minor`); major 0 is an anonymous device (tmpfs, overlay,
    /// btrfs), whose block device, if any, only the source names.
    pub(crate) major: u32,
    pub(crate) minor: u32,
    pub(crate) fs_type: String,
    /// The mount source: a device node, a server path, or any word for virtual file systems.
    pub(crate) source: String,
}

/// Parses mountinfo. A line without the ten-odd fields the kernel writes is an error with its
/// number (1-based): the file is the kernel's, so anything else means phiguard is reading the
/// wrong file, and a guess would misplace the ePHI.
pub fn parse(bytes: &[u8]) -> Result<Vec<Mount>, (usize, String)> {
    let mut mounts = Vec::new();
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        mounts.push(parse_line(line).map_err(|problem| (index + 1, problem))?);
    }
    Ok(mounts)
}

/// `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue`: id,
/// parent, device, root, mount point, options, optional fields up to `-`, then type, source and
/// super-block options.
fn parse_line(line: &[u8]) -> Result<Mount, String> {
    let fields: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    if fields.len() < 9 {
        return Err(format!(
            "expected at least 9 space-separated fields, found {}",
            fields.len()
        ));
    }
    let separator = fields[6..]
        .iter()
        .position(|f| *f == b"-")
        .map(|p| p + 6)
        .ok_or("no ` - ` separator before the file system type")?;
    let (Some(fs_type), Some(source)) = (fields.get(separator + 1), fields.get(separator + 2))
    else {
        return Err("the file system type or the source is missing after ` - `".to_owned());
    };
    let device = String::from_utf8_lossy(fields[2]);
    let (major, minor) = device
        .split_once(':')
        .and_then(|(ma, mi)| Some((ma.parse().ok()?, mi.parse().ok()?)))
        .ok_or_else(|| format!("the device number {device:?} is not major:minor"))?;
    Ok(Mount {
        mount_point: PathBuf::from(OsString::from_vec(unescape(fields[4]))),
        major,
        minor,
        fs_type: String::from_utf8_lossy(&unescape(fs_type)).into_owned(),
        source: String::from_utf8_lossy(&unescape(source)).into_owned(),
    })
}

/// Undoes the kernel's escaping of space, tab, newline and backslash as `\ooo` (octal), used
/// in mountinfo and `/proc/swaps` alike.
pub(crate) fn unescape(field: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(field.len());
    let mut i = 0;
    while i < field.len() {
        let octal = field.get(i + 1..i + 4).and_then(|digits| {
            digits
                .iter()
                .try_fold(0u32, |n, &d| {
                    (b'0'..=b'7')
                        .contains(&d)
                        .then(|| n * 8 + u32::from(d - b'0'))
                })
                .and_then(|n| u8::try_from(n).ok())
        });
        match (field[i], octal) {
            (b'\\', Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (other, _) => {
                out.push(other);
                i += 1;
            }
        }
    }
    out
}

/// The mount `path` is on: the one with the longest mount point that contains it, and among
/// mounts on the same point the last, which hides the others.
pub(crate) fn covering<'a>(mounts: &'a [Mount], path: &Path) -> Option<&'a Mount> {
    mounts
        .iter()
        .filter(|m| path.starts_with(&m.mount_point))
        // `max_by_key` keeps the last of equal keys: the mount on top.
        .max_by_key(|m| m.mount_point.components().count())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    const SAMPLE: &str = "\
22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 253:1 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw
28 27 0:25 / /srv/my\\040data rw shared:5 master:2 - xfs /dev/sdb1 rw
29 27 0:44 / /home rw - btrfs /dev/mapper/crypthome rw,subvol=/home
30 27 0:50 / /mnt/share rw - nfs4 fs.example.org:/export rw,vers=4.2
";

    #[test]
    fn parses_fields_escapes_and_optional_fields() {
        let mounts = parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(mounts.len(), 5);
        assert_eq!(
            mounts[1],
            Mount {
                mount_point: "/".into(),
                major: 253,
                minor: 1,
                fs_type: "ext4".into(),
                source: "/dev/mapper/vg-root".into(),
            }
        );
        assert_eq!(mounts[2].mount_point, Path::new("/srv/my data"));
        assert_eq!(mounts[2].fs_type, "xfs");
        assert_eq!(mounts[4].source, "fs.example.org:/export");
    }

    #[test]
    fn the_longest_and_topmost_mount_covers_a_path() {
        let mut mounts = parse(SAMPLE.as_bytes()).unwrap();
        let at = |mounts: &[Mount], p: &str| {
            covering(mounts, Path::new(p)).map(|m| (m.mount_point.clone(), m.fs_type.clone()))
        };
        assert_eq!(at(&mounts, "/srv/my data/x").unwrap().1, "xfs");
        // Component-wise: /srv/my database is not under "/srv/my data" nor /home under /h.
        assert_eq!(at(&mounts, "/srv/my database").unwrap().0, Path::new("/"));
        assert_eq!(at(&mounts, "/home").unwrap().1, "btrfs");
        mounts.push(Mount {
            fs_type: "tmpfs".into(),
            ..mounts[3].clone()
        });
        assert_eq!(
            at(&mounts, "/home/a").unwrap().1,
            "tmpfs",
            "the later mount hides the earlier"
        );
        assert!(covering(&mounts[..1], Path::new("/etc")).is_none());
    }

    #[test]
    fn malformed_lines_are_numbered() {
        let bad =
            "22 27 0:21 / /proc rw,relatime - proc proc rw\n\n23 27 x:1 / /a rw - ext4 /dev/a rw\n";
        assert_eq!(
            parse(bad.as_bytes()).unwrap_err(),
            (3, "the device number \"x:1\" is not major:minor".into())
        );
        assert_eq!(parse(b"1 2 3\n").unwrap_err().0, 1);
        assert!(parse(b"1 2 0:1 / /a rw shared:1 x ext4 /dev/a rw\n").is_err());
        assert!(parse(b"1 2 0:1 / /a rw a b c -\n").is_err());
    }

    #[test]
    fn unescapes_octal_and_leaves_the_rest() {
        assert_eq!(unescape(b"a\\040b\\134\\011"), b"a b\\\t");
        assert_eq!(unescape(b"\\04"), b"\\04");
        assert_eq!(unescape(b"\\400x"), b"\\400x", "above 255 is not an escape");
        assert_eq!(unescape(b"\\08x"), b"\\08x");
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            let _ = parse(&bytes);
            let _ = unescape(&bytes);
        }

        #[test]
        fn mountinfo_like_lines_never_panic(line in "([0-9: \\-/a-z\\\\]{1,8} ){0,14}") {
            if let Ok(mounts) = parse(line.as_bytes()) {
                prop_assert!(mounts.len() <= 1);
            }
        }
    }
}

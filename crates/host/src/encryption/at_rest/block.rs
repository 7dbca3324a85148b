//! What a block device rests on, read from `/sys`: dm-crypt, or layers (LVM, RAID, partitions,
//! loop files) over something that is or is not encrypted.

use std::path::{Path, PathBuf};

use super::Kernel;
use super::mountinfo::{self, Mount};

/// Deeper stacks than this do not occur in practice; a fake or corrupt `/sys` with a cycle in
/// its `slaves` links must not recurse forever.
const MAX_DEPTH: usize = 16;

/// Whether the data on a device reaches the disk encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// dm-crypt with this format (`LUKS2`, `LUKS1`, `PLAIN`, `BITLK`, ...).
    Encrypted(String),
    /// Kept in memory (zram), never written to disk.
    Volatile,
    /// Written in clear to this device.
    Plain(String),
    /// phiguard cannot tell, for this reason.
    Unknown(String),
}

/// A device's verdict and the stack that led to it, for messages:
/// `dm-1 (vg-ehr, LVM) on dm-0 (cryptdata, dm-crypt LUKS2)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Backing {
    pub(crate) verdict: Verdict,
    pub(crate) chain: String,
}

/// The block-device side of the kernel, with the mount table to follow loop devices back to
/// the file system their file is on.
#[derive(Debug)]
pub(crate) struct Sysfs<'a> {
    kernel: &'a Kernel,
    mounts: &'a [Mount],
}

impl<'a> Sysfs<'a> {
    pub(crate) fn new(kernel: &'a Kernel, mounts: &'a [Mount]) -> Sysfs<'a> {
        Sysfs { kernel, mounts }
    }

    /// The kernel name (`dm-0`, `sda1`) of device `major:minor`, from the `/sys/dev/block` link.
    pub(crate) fn device_by_number(&self, major: u32, minor: u32) -> Option<String> {
        let link = self.kernel.path(&format!("/sys/dev/block/{major}:{minor}"));
        name_of(&std::fs::read_link(link).ok()?)
    }

    /// The kernel name of the device behind a node such as `/dev/mapper/cryptswap` (a link to
    /// `../dm-1`) or `/dev/sda2`.
    pub(crate) fn device_by_node(&self, node: &Path) -> Option<String> {
        let relative = node.strip_prefix("/").ok()?;
        if !relative.starts_with("dev") {
            return None;
        }
        let resolved = std::fs::canonicalize(self.kernel.base().join(relative))
            .unwrap_or_else(|_| node.to_owned());
        let name = name_of(&resolved)?;
        self.device_dir(&name).is_some().then_some(name)
    }

    /// The device a mount is on, by number, or by source for file systems (btrfs) that report
    /// an anonymous device number.
    pub(crate) fn device_of(&self, mount: &Mount) -> Option<String> {
        (mount.major != 0)
            .then(|| self.device_by_number(mount.major, mount.minor))
            .flatten()
            .or_else(|| self.device_by_node(Path::new(&mount.source)))
    }

    pub(crate) fn backing(&self, name: &str) -> Backing {
        self.walk(name, 0)
    }

    fn device_dir(&self, name: &str) -> Option<PathBuf> {
        ["/sys/class/block", "/sys/block"]
            .into_iter()
            .map(|dir| self.kernel.path(dir).join(name))
            .find(|path| path.is_dir())
    }

    fn walk(&self, name: &str, depth: usize) -> Backing {
        if depth > MAX_DEPTH {
            return unknown(
                name,
                format!("the stack of devices under {name} is more than {MAX_DEPTH} layers deep"),
            );
        }
        let Some(dir) = self.device_dir(name) else {
            return unknown(name, format!("{name} is not listed in /sys/class/block"));
        };
        if name.starts_with("zram") {
            return Backing {
                verdict: Verdict::Volatile,
                chain: format!("{name} (zram, compressed memory)"),
            };
        }
        let uuid = read_trimmed(&dir.join("dm/uuid")).unwrap_or_default();
        let dm_name = read_trimmed(&dir.join("dm/name"));
        let label = |kind: &str| match &dm_name {
            Some(dm_name) => format!("{name} ({dm_name}, {kind})"),
            None => format!("{name} ({kind})"),
        };
        if let Some(format) = dm_crypt_format(&uuid) {
            // Everything below a dm-crypt layer holds only ciphertext.
            return Backing {
                chain: label(&format!("dm-crypt {format}")),
                verdict: Verdict::Encrypted(format.to_owned()),
            };
        }
        let slaves = list(&dir.join("slaves"));
        if !slaves.is_empty() {
            let below: Vec<Backing> = slaves.iter().map(|s| self.walk(s, depth + 1)).collect();
            return stacked(label(layer_kind(name, &uuid)), below);
        }
        if dir.join("partition").is_file() {
            // A partition's directory sits inside its disk's.
            let disk = std::fs::canonicalize(&dir)
                .ok()
                .and_then(|real| real.parent().and_then(name_of));
            return match disk {
                Some(disk) => stacked(name.to_owned(), vec![self.walk(&disk, depth + 1)]),
                None => unknown(
                    name,
                    format!("the disk that partition {name} belongs to is not in /sys"),
                ),
            };
        }
        if let Some(file) = read_trimmed(&dir.join("loop/backing_file")) {
            return self.loop_backing(name, &file, depth);
        }
        Backing {
            verdict: Verdict::Plain(name.to_owned()),
            chain: name.to_owned(),
        }
    }

    /// A loop device is as safe as the file system its backing file is on.
    fn loop_backing(&self, name: &str, file: &str, depth: usize) -> Backing {
        let label = format!("{name} (loop, file {file})");
        let Some(mount) = mountinfo::covering(self.mounts, Path::new(file)) else {
            return unknown(
                &label,
                format!("no mount holds {file}, the file behind {name}"),
            );
        };
        if super::is_in_memory(&mount.fs_type) {
            return Backing {
                verdict: Verdict::Volatile,
                chain: format!("{label} on {}", mount.fs_type),
            };
        }
        match self.device_of(mount) {
            Some(device) => stacked(label, vec![self.walk(&device, depth + 1)]),
            None => unknown(
                &label,
                format!(
                    "{file}, the file behind {name}, is on {} with no block device",
                    mount.fs_type
                ),
            ),
        }
    }
}

/// The dm-crypt format in a device-mapper UUID (`CRYPT-LUKS2-<uuid>-<name>`), or `None` for
/// other targets. cryptsetup also names dm-verity and dm-integrity devices `CRYPT-…`; those
/// protect integrity, not confidentiality, so they do not count.
pub(crate) fn dm_crypt_format(uuid: &str) -> Option<&str> {
    let rest = uuid.strip_prefix("CRYPT-")?;
    let format = rest.split('-').next().unwrap_or(rest);
    (!format.is_empty() && !matches!(format, "VERITY" | "INTEGRITY" | "SUBDEV")).then_some(format)
}

/// What a layer that is not dm-crypt is, for messages.
fn layer_kind(name: &str, uuid: &str) -> &'static str {
    if uuid.starts_with("LVM-") {
        "LVM"
    } else if uuid.starts_with("mpath-") {
        "multipath"
    } else if uuid.starts_with("part") {
        "partition mapping"
    } else if uuid.starts_with("CRYPT-VERITY") {
        "dm-verity, integrity only"
    } else if uuid.starts_with("CRYPT-") {
        "dm-integrity, integrity only"
    } else if name.starts_with("md") {
        "RAID"
    } else if name.starts_with("dm-") {
        "device-mapper"
    } else {
        "stacked device"
    }
}

/// A layer over `below`: in clear if any device under it is, encrypted only if all are (an LVM
/// volume group with one plain physical volume can put any block of the volume there).
fn stacked(label: String, below: Vec<Backing>) -> Backing {
    let verdict = below
        .iter()
        .find(|b| matches!(b.verdict, Verdict::Plain(_)))
        .or_else(|| {
            below
                .iter()
                .find(|b| matches!(b.verdict, Verdict::Unknown(_)))
        })
        .or_else(|| {
            below
                .iter()
                .find(|b| matches!(b.verdict, Verdict::Encrypted(_)))
        })
        .or(below.first())
        .map_or_else(
            || Verdict::Unknown(format!("{label} has nothing under it")),
            |b| b.verdict.clone(),
        );
    let chains: Vec<&str> = below.iter().map(|b| b.chain.as_str()).collect();
    let chain = match chains[..] {
        [one] => format!("{label} on {one}"),
        _ => format!("{label} on [{}]", chains.join(", ")),
    };
    Backing { verdict, chain }
}

fn unknown(label: &str, reason: String) -> Backing {
    Backing {
        verdict: Verdict::Unknown(reason),
        chain: label.to_owned(),
    }
}

fn name_of(path: &Path) -> Option<String> {
    path.file_name().map(|n| n.to_string_lossy().into_owned())
}

fn read_trimmed(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The entries of a `/sys` directory such as `slaves/`, sorted; none if it is absent.
fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dm_crypt_formats_from_uuids() {
        let cases = [
            (
                "CRYPT-LUKS2-3f1c0a8e9b2d4c5e8f7a6b5c4d3e2f1a-luks-3f1c",
                Some("LUKS2"),
            ),
            ("CRYPT-LUKS1-0123-cryptroot", Some("LUKS1")),
            ("CRYPT-PLAIN-cryptswap", Some("PLAIN")),
            ("CRYPT-BITLK-abc-win", Some("BITLK")),
            ("CRYPT-VERITY-abc-root", None),
            ("CRYPT-INTEGRITY-abc", None),
            ("CRYPT-SUBDEV-abc-luks_dif", None),
            ("LVM-AbCdEf", None),
            ("", None),
            ("CRYPT-", None),
        ];
        for (uuid, format) in cases {
            assert_eq!(dm_crypt_format(uuid), format, "{uuid}");
        }
    }
}

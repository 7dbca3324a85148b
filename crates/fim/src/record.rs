//! What is recorded about one file, and which of it is compared.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The kind of file system object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    File,
    Directory,
    Symlink,
    BlockDevice,
    CharDevice,
    Fifo,
    Socket,
}

impl FileType {
    pub fn name(self) -> &'static str {
        match self {
            FileType::File => "file",
            FileType::Directory => "directory",
            FileType::Symlink => "symlink",
            FileType::BlockDevice => "block device",
            FileType::CharDevice => "character device",
            FileType::Fifo => "fifo",
            FileType::Socket => "socket",
        }
    }
}

/// Everything recorded about one path. Every attribute is recorded; the rule that covers the
/// path decides which are compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    #[serde(rename = "type")]
    pub file_type: FileType,
    /// Permission bits, including setuid, setgid and sticky (`st_mode & 0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub inode: u64,
    pub links: u64,
    /// Nanoseconds since the epoch.
    pub mtime: i128,
    pub ctime: i128,
    /// A symlink's target, never followed (bytes that are not UTF-8 shown as `\xNN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// A device's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<u64>,
    /// `algorithm:hex` of a regular file's content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// POSIX ACLs (`system.posix_acl_access` and `_default`), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<String>,
    /// Other extended attributes, name → hex value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub xattrs: BTreeMap<String, String>,
    /// SELinux context (`security.selinux`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selinux: Option<String>,
    /// File capabilities (`security.capability`), hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caps: Option<String>,
    /// Inode flags of files and directories (`chattr`: immutable, append-only, no-dump…),
    /// where the file system has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flags: Option<u32>,
    /// Why part of the record could not be read (e.g. an unreadable file's content).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// One comparable attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Attribute {
    Type,
    Mode,
    Owner,
    Group,
    Size,
    Inode,
    Links,
    Mtime,
    Ctime,
    Target,
    Device,
    Hash,
    Acl,
    Xattrs,
    Selinux,
    Caps,
    Flags,
}

impl Attribute {
    pub const ALL: [Attribute; 17] = [
        Attribute::Type,
        Attribute::Mode,
        Attribute::Owner,
        Attribute::Group,
        Attribute::Size,
        Attribute::Inode,
        Attribute::Links,
        Attribute::Mtime,
        Attribute::Ctime,
        Attribute::Target,
        Attribute::Device,
        Attribute::Hash,
        Attribute::Acl,
        Attribute::Xattrs,
        Attribute::Selinux,
        Attribute::Caps,
        Attribute::Flags,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Attribute::Type => "type",
            Attribute::Mode => "mode",
            Attribute::Owner => "owner",
            Attribute::Group => "group",
            Attribute::Size => "size",
            Attribute::Inode => "inode",
            Attribute::Links => "links",
            Attribute::Mtime => "mtime",
            Attribute::Ctime => "ctime",
            Attribute::Target => "target",
            Attribute::Device => "device",
            Attribute::Hash => "hash",
            Attribute::Acl => "acl",
            Attribute::Xattrs => "xattrs",
            Attribute::Selinux => "selinux",
            Attribute::Caps => "caps",
            Attribute::Flags => "flags",
        }
    }

    /// The attribute's value in `record`, as text for a report.
    pub fn value(self, record: &Record) -> String {
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        match self {
            Attribute::Type => record.file_type.name().into(),
            Attribute::Mode => format!("{:04o}", record.mode),
            Attribute::Owner => record.uid.to_string(),
            Attribute::Group => record.gid.to_string(),
            Attribute::Size => record.size.to_string(),
            Attribute::Inode => record.inode.to_string(),
            Attribute::Links => record.links.to_string(),
            Attribute::Mtime => timestamp(record.mtime),
            Attribute::Ctime => timestamp(record.ctime),
            Attribute::Target => opt(&record.target),
            // As `ls -l` shows it: major, minor.
            Attribute::Device => record.device.map_or("-".into(), |d| {
                format!("{}:{}", rustix::fs::major(d), rustix::fs::minor(d))
            }),
            Attribute::Hash => opt(&record.hash),
            Attribute::Acl => opt(&record.acl),
            Attribute::Xattrs => {
                if record.xattrs.is_empty() {
                    "-".into()
                } else {
                    // Name and value, so a changed value reads differently; long values are
                    // cut, since the whole value is in the JSON record anyway.
                    record
                        .xattrs
                        .iter()
                        .map(|(name, value)| match value.get(..32) {
                            Some(start) if value.len() > 32 => format!("{name}={start}…"),
                            _ => format!("{name}={value}"),
                        })
                        .collect::<Vec<_>>()
                        .join(",")
                }
            }
            Attribute::Selinux => opt(&record.selinux),
            Attribute::Caps => opt(&record.caps),
            Attribute::Flags => record.flags.map_or("-".into(), |f| format!("{f:#010x}")),
        }
    }

    /// Whether `old` and `new` differ in this attribute.
    pub fn differs(self, old: &Record, new: &Record) -> bool {
        match self {
            Attribute::Type => old.file_type != new.file_type,
            Attribute::Mode => old.mode != new.mode,
            Attribute::Owner => old.uid != new.uid,
            Attribute::Group => old.gid != new.gid,
            Attribute::Size => old.size != new.size,
            Attribute::Inode => old.inode != new.inode,
            Attribute::Links => old.links != new.links,
            Attribute::Mtime => old.mtime != new.mtime,
            Attribute::Ctime => old.ctime != new.ctime,
            Attribute::Target => old.target != new.target,
            Attribute::Device => old.device != new.device,
            Attribute::Hash => old.hash != new.hash,
            Attribute::Acl => old.acl != new.acl,
            Attribute::Xattrs => old.xattrs != new.xattrs,
            Attribute::Selinux => old.selinux != new.selinux,
            Attribute::Caps => old.caps != new.caps,
            Attribute::Flags => old.flags != new.flags,
        }
    }
}

fn timestamp(nanos: i128) -> String {
    jiff::Timestamp::from_nanosecond(nanos).map_or_else(|_| nanos.to_string(), |t| t.to_string())
}

/// A set of attributes to compare.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttributeSet(Vec<Attribute>);

impl AttributeSet {
    /// Every attribute: what AIDE's `R` group checks (permissions, inode, links, owner,
    /// group, size, mtime, ctime, type, link target, content hash, inode flags), plus ACLs,
    /// extended attributes, SELinux context and capabilities.
    pub fn full() -> AttributeSet {
        AttributeSet(Attribute::ALL.to_vec())
    }

    /// Parses names of attributes and groups: `full`, `perms` (type, mode, owner, group,
    /// ACLs, xattrs, SELinux, capabilities, link target), `content` (type, size, hash, link
    /// target), or single attributes. An empty list means `full`.
    pub fn parse(names: &[String]) -> Result<AttributeSet, String> {
        if names.is_empty() {
            return Ok(AttributeSet::full());
        }
        let mut set = Vec::new();
        for name in names {
            let group: Vec<Attribute> = match name.as_str() {
                "full" => Attribute::ALL.to_vec(),
                "perms" => vec![
                    Attribute::Type,
                    Attribute::Mode,
                    Attribute::Owner,
                    Attribute::Group,
                    Attribute::Acl,
                    Attribute::Xattrs,
                    Attribute::Selinux,
                    Attribute::Caps,
                    Attribute::Flags,
                    Attribute::Target,
                ],
                "content" => vec![
                    Attribute::Type,
                    Attribute::Size,
                    Attribute::Hash,
                    Attribute::Target,
                ],
                other => match Attribute::ALL.iter().find(|a| a.name() == other) {
                    Some(attribute) => vec![*attribute],
                    None => {
                        return Err(format!(
                            "{other:?} is not an attribute; use full, perms, content, or one of {}",
                            Attribute::ALL.map(Attribute::name).join(", ")
                        ));
                    }
                },
            };
            set.extend(group);
        }
        set.sort();
        set.dedup();
        Ok(AttributeSet(set))
    }

    pub fn contains(&self, attribute: Attribute) -> bool {
        self.0.contains(&attribute)
    }

    pub fn iter(&self) -> impl Iterator<Item = Attribute> + '_ {
        self.0.iter().copied()
    }
}

impl fmt::Display for AttributeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|a| a.name()).collect();
        f.write_str(&names.join("+"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_names_are_unique_and_parse_back() {
        let names: Vec<String> = Attribute::ALL.iter().map(|a| a.name().to_owned()).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), Attribute::ALL.len());
        assert_eq!(AttributeSet::parse(&names).unwrap(), AttributeSet::full());
    }

    #[test]
    fn groups_expand_and_unknown_names_are_refused() {
        let perms = AttributeSet::parse(&["perms".into()]).unwrap();
        assert!(perms.contains(Attribute::Mode) && perms.contains(Attribute::Acl));
        assert!(!perms.contains(Attribute::Hash));
        let content = AttributeSet::parse(&["content".into(), "mtime".into()]).unwrap();
        assert!(content.contains(Attribute::Hash) && content.contains(Attribute::Mtime));
        assert!(!content.contains(Attribute::Owner));
        let err = AttributeSet::parse(&["md5".into()]).unwrap_err();
        assert!(err.contains("md5") && err.contains("perms"), "{err}");
    }
}

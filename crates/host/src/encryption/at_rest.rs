//! Encryption at rest (HIPAA 164.312(a)(2)(iv), and the breach safe harbour of 164.402: ePHI
//! that was encrypted when lost is not a reportable breach): the file systems holding ePHI,
//! swap and the root file system sit on dm-crypt.
//!
//! The answer is the kernel's: which file system a path is on (`/proc/self/mountinfo`), which
//! device that is (`/sys/dev/block`), and what that device is stacked on (`/sys/class/block/*/
//! slaves`, `dm/uuid`), so an LVM volume on a LUKS container counts as encrypted and a LUKS
//! container on a plain partition is where the walk stops. These are live-only checks: an
//! image's files say nothing about the disks it will run on. The readers take a [`Kernel`]
//! base directory, `/` in production, so the tests drive the same code with a fake tree.

mod block;
#[doc(hidden)]
pub mod mountinfo;
#[doc(hidden)]
pub mod swaps;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use phiguard_core::{Check, CheckMeta, Finding, Severity, Status};

use self::block::{Backing, Sysfs, Verdict};
use self::mountinfo::Mount;
use self::swaps::SwapKind;
use crate::config_file::ConfigError;
use crate::logging::{Problem, settle};
use crate::{FnCheck, Settings, live_only, meta};

pub fn checks(settings: &Settings) -> Vec<Box<dyn Check>> {
    let ephi_paths = settings.ephi_paths.clone();
    vec![
        kernel_check(ephi_meta(), move |meta, kernel| {
            ephi_at_rest(meta, kernel, &ephi_paths)
        }),
        kernel_check(swap_meta(), swap),
        kernel_check(root_meta(), root_fs),
    ]
}

fn ephi_meta() -> CheckMeta {
    meta(
        "host.encryption.ephi_at_rest",
        "The file systems holding ePHI are encrypted",
        Severity::High,
        "HIPAA 164.312(a)(2)(iv) asks for encryption of ePHI at rest, and the breach rule's safe \
         harbour only covers data that was encrypted: a lost disk, a discarded cloud volume or \
         a copied snapshot of a plain file system is a reportable breach.",
        "Put the ePHI on a dm-crypt (LUKS2) volume: create one with `cryptsetup luksFormat \
         --type luks2 /dev/DEVICE`, open it (`cryptsetup open`), make the file system, move the \
         data and list it in /etc/crypttab and /etc/fstab. A disk encrypted by the cloud provider \
         or by the drive itself is invisible to the host: if that is your control, record the \
         provider's evidence instead. List every directory holding ePHI under `[fim] ephi_paths` \
         in phiguard.toml.",
    )
}

fn swap_meta() -> CheckMeta {
    meta(
        "host.encryption.swap",
        "Swap is encrypted or in memory",
        Severity::Medium,
        "Any page of memory, including ePHI an application is working on, can be written to \
         swap and stays on the disk after the process ends; plain swap leaks it to whoever \
         reads the disk.",
        "Encrypt swap with a random key at each boot (a `swap` line in /etc/crypttab with \
         `/dev/urandom` as the key, or a LUKS volume), use zram instead (`apt install \
         zram-tools`), or turn swap off (`swapoff -a` and remove it from /etc/fstab).",
    )
}

fn root_meta() -> CheckMeta {
    meta(
        "host.encryption.root_fs",
        "The root file system is encrypted",
        Severity::Medium,
        "Logs, caches, temporary files and core dumps land on the root file system, and ePHI \
         leaks into all of them; if it is in clear, so is that ePHI.",
        "Install the host with an encrypted root (the distribution installer's \"encrypted \
         LVM\" option), or on a cloud volume the provider encrypts with a key you control (AWS \
         EBS encryption with a KMS key, Azure disk encryption, GCP CMEK) and keep the \
         provider's evidence for the auditor: the host cannot see that layer.",
    )
}

/// A parser of one of the kernel's tables; its error is the 1-based line and the problem.
type TableParser<T> = fn(&[u8]) -> Result<T, (usize, String)>;

/// Where the kernel's tables are read: `/` on a running host; a directory holding a fake
/// `proc/` and `sys/` in tests.
#[derive(Debug, Clone)]
pub(crate) struct Kernel {
    base: PathBuf,
}

impl Kernel {
    pub(crate) fn at(base: impl Into<PathBuf>) -> Kernel {
        Kernel { base: base.into() }
    }

    pub(crate) fn base(&self) -> &Path {
        &self.base
    }

    /// `/proc/...` or `/sys/...` under the base.
    pub(crate) fn path(&self, system_path: &str) -> PathBuf {
        self.base.join(system_path.trim_start_matches('/'))
    }

    /// Reads and parses one of the kernel's tables; a line that does not parse is an error
    /// finding naming the file and line.
    fn table<T>(&self, system_path: &str, parse: TableParser<T>) -> Result<T, Problem> {
        let path = self.path(system_path);
        let bytes = std::fs::read(&path).map_err(|e| Problem::io(&path, &e))?;
        parse(&bytes)
            .map_err(|(line, problem)| Problem::from(ConfigError::at(&path, line, problem)))
    }

    fn mounts(&self) -> Result<Vec<Mount>, Problem> {
        self.table("/proc/self/mountinfo", mountinfo::parse)
    }
}

/// A check that reads the running kernel: skipped for an image, otherwise run against `/`.
fn kernel_check(
    meta: CheckMeta,
    run: impl Fn(&CheckMeta, &Kernel) -> Result<Vec<Finding>, Problem> + Send + Sync + 'static,
) -> Box<dyn Check> {
    FnCheck::boxed(meta, move |meta, ctx| match live_only(meta, ctx) {
        Some(skipped) => Ok(skipped),
        None => settle(meta, run(meta, &Kernel::at(&ctx.root))),
    })
}

/// File systems that live in memory and vanish at power-off.
pub(crate) fn is_in_memory(fs_type: &str) -> bool {
    matches!(fs_type, "tmpfs" | "ramfs")
}

/// File systems served by another machine, whose disks the host cannot see.
fn is_network(fs_type: &str) -> bool {
    matches!(
        fs_type,
        "nfs"
            | "nfs4"
            | "cifs"
            | "smb3"
            | "smbfs"
            | "ceph"
            | "glusterfs"
            | "fuse.glusterfs"
            | "fuse.sshfs"
            | "9p"
            | "afs"
            | "lustre"
    )
}

/// How data at one place reaches the disk.
#[derive(Debug)]
enum AtRest {
    Device(Backing),
    InMemory(String),
    Network { fs_type: String, source: String },
    Unknown(String),
}

impl AtRest {
    fn of_mount(sysfs: &Sysfs<'_>, mount: &Mount) -> AtRest {
        if is_in_memory(&mount.fs_type) {
            return AtRest::InMemory(format!("a {} file system", mount.fs_type));
        }
        if is_network(&mount.fs_type) {
            return AtRest::Network {
                fs_type: mount.fs_type.clone(),
                source: mount.source.clone(),
            };
        }
        match sysfs.device_of(mount) {
            Some(device) => AtRest::Device(sysfs.backing(&device)),
            None => AtRest::Unknown(format!(
                "its {} file system (source {}) has no block device phiguard can follow; this is \
                 usual for overlay roots of containers, ZFS datasets (whose native encryption \
                 phiguard does not read yet) and FUSE file systems",
                mount.fs_type, mount.source
            )),
        }
    }

    /// Status and message for `what` (a sentence subject such as "/srv/ehr, on the ext4 file
    /// system mounted at /srv,"); `if_plain` is the status and consequence when it is in clear,
    /// which differs by check.
    fn judge(self, what: &str, if_plain: (Status, &str)) -> (Status, String) {
        match self {
            AtRest::Device(Backing {
                verdict: Verdict::Encrypted(format),
                chain,
            }) => (
                Status::Pass,
                format!("{what} is encrypted at rest with dm-crypt ({format}): {chain}"),
            ),
            AtRest::Device(Backing {
                verdict: Verdict::Volatile,
                chain,
            }) => in_memory(what, &chain),
            AtRest::InMemory(kind) => in_memory(what, &kind),
            AtRest::Device(Backing {
                verdict: Verdict::Plain(device),
                chain,
            }) => {
                let stack = if chain == device {
                    format!("it is stored directly on {device}, which is not dm-crypt")
                } else {
                    format!("it is stored on {chain}, and no layer down to {device} is dm-crypt")
                };
                (
                    if_plain.0,
                    format!(
                        "{what} is not encrypted by this host: {stack}; {}",
                        if_plain.1
                    ),
                )
            }
            AtRest::Device(Backing {
                verdict: Verdict::Unknown(reason),
                ..
            })
            | AtRest::Unknown(reason) => (
                Status::Warn,
                format!("could not tell whether {what} is encrypted: {reason}"),
            ),
            AtRest::Network { fs_type, source } => (
                Status::Warn,
                format!(
                    "{what} is on a network file system ({fs_type} from {source}): whether the \
                     server encrypts it cannot be seen from this host. Confirm it with whoever \
                     runs the server (and the BAA that covers it), and use an encrypted \
                     transport (NFS with krb5p, SMB 3 encryption)"
                ),
            ),
        }
    }
}

fn in_memory(what: &str, kind: &str) -> (Status, String) {
    (
        Status::Pass,
        format!(
            "{what} is kept in memory ({kind}) and gone at power-off, so nothing rests on disk; \
             memory can still reach disk through swap, see host.encryption.swap"
        ),
    )
}

fn ephi_at_rest(
    meta: &CheckMeta,
    kernel: &Kernel,
    ephi_paths: &[PathBuf],
) -> Result<Vec<Finding>, Problem> {
    if ephi_paths.is_empty() {
        return Ok(vec![meta.finding(
            Status::Warn,
            "ephi_paths",
            "no ePHI paths are configured, so phiguard cannot tell whether ePHI is encrypted at \
             rest; list the directories that hold it under `[fim] ephi_paths` in phiguard.toml",
        )]);
    }
    let mounts = kernel.mounts()?;
    let sysfs = Sysfs::new(kernel, &mounts);
    let plain = (
        Status::Fail,
        "anyone with the disk, a snapshot or a discarded volume reads this ePHI, and losing it \
         is a reportable breach",
    );
    let findings = ephi_paths
        .iter()
        .map(|configured| {
            let subject = configured.display().to_string();
            let Some(path) = resolve(kernel, configured) else {
                return meta.finding(
                    Status::Warn,
                    subject,
                    format!(
                        "the ePHI path {} does not exist on this host (or is not absolute), so \
                         its encryption cannot be checked; correct `[fim] ephi_paths` in \
                         phiguard.toml",
                        configured.display()
                    ),
                );
            };
            let Some(mount) = mountinfo::covering(&mounts, &path) else {
                return meta.finding(
                    Status::Warn,
                    subject,
                    format!("no mounted file system holds {}", path.display()),
                );
            };
            let what = format!(
                "{}, on the {} file system mounted at {},",
                path.display(),
                mount.fs_type,
                mount.mount_point.display()
            );
            let (status, message) = AtRest::of_mount(&sysfs, mount).judge(&what, plain);
            meta.finding(status, subject, message)
        })
        .collect();
    Ok(findings)
}

/// The real location of a configured path on the host (symbolic links followed, since the
/// mount that matters is the target's), or `None` if it does not exist.
fn resolve(kernel: &Kernel, configured: &Path) -> Option<PathBuf> {
    let relative = configured.strip_prefix("/").ok()?;
    let real = std::fs::canonicalize(kernel.base().join(relative)).ok()?;
    // The base itself may be reached through links (a temporary directory in tests).
    let base = std::fs::canonicalize(kernel.base()).ok()?;
    real.strip_prefix(&base)
        .ok()
        .map(|rest| Path::new("/").join(rest))
}

fn swap(meta: &CheckMeta, kernel: &Kernel) -> Result<Vec<Finding>, Problem> {
    let swaps = kernel.table("/proc/swaps", swaps::parse)?;
    if swaps.is_empty() {
        return Ok(vec![meta.finding(
            Status::Pass,
            "swap",
            "no swap is active, so memory holding ePHI is never written to a swap area",
        )]);
    }
    let mounts = kernel.mounts()?;
    let sysfs = Sysfs::new(kernel, &mounts);
    let plain = (
        Status::Fail,
        "memory pages holding ePHI can be written there in clear and stay after the process ends",
    );
    let findings = swaps
        .iter()
        .map(|area| {
            let (what, at_rest) = match area.kind {
                SwapKind::Partition => (
                    format!("the swap device {}", area.path.display()),
                    match sysfs.device_by_node(&area.path) {
                        Some(device) => AtRest::Device(sysfs.backing(&device)),
                        None => AtRest::Unknown(format!(
                            "{} is not a device phiguard finds in /sys/class/block",
                            area.path.display()
                        )),
                    },
                ),
                SwapKind::File => match mountinfo::covering(&mounts, &area.path) {
                    Some(mount) => (
                        format!(
                            "the swap file {}, on the {} file system mounted at {},",
                            area.path.display(),
                            mount.fs_type,
                            mount.mount_point.display()
                        ),
                        AtRest::of_mount(&sysfs, mount),
                    ),
                    None => (
                        format!("the swap file {}", area.path.display()),
                        AtRest::Unknown("no mounted file system holds it".to_owned()),
                    ),
                },
            };
            let (status, message) = at_rest.judge(&what, plain);
            meta.finding(status, area.path.display().to_string(), message)
        })
        .collect();
    Ok(findings)
}

fn root_fs(meta: &CheckMeta, kernel: &Kernel) -> Result<Vec<Finding>, Problem> {
    let mounts = kernel.mounts()?;
    let Some(root) =
        mountinfo::covering(&mounts, Path::new("/")).filter(|m| m.mount_point == Path::new("/"))
    else {
        let path = kernel.path("/proc/self/mountinfo");
        return Err(Problem::Io(phiguard_core::CheckError::new(format!(
            "{}: no file system is mounted at /, so this is not a process's mount table",
            path.display()
        ))));
    };
    let sysfs = Sysfs::new(kernel, &mounts);
    let what = format!(
        "the root file system ({} from {})",
        root.fs_type, root.source
    );
    let plain = (
        Status::Warn,
        "this is a warning rather than a failure because many cloud volumes are encrypted by \
         the provider below the virtual disk, which the host cannot see; check the volume's \
         encryption setting in the provider's console and keep that as evidence",
    );
    let (status, message) = AtRest::of_mount(&sysfs, root).judge(&what, plain);
    Ok(vec![meta.finding(status, "/", message)])
}

//! The at-rest checks against fake `/proc` and `/sys` trees built the way the kernel lays them
//! out (devices under `sys/devices`, reached through `sys/block`, `sys/class/block` and
//! `sys/dev/block` links), and against this machine's real ones.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use phiguard_core::{Finding, Status};
use tempfile::TempDir;

use super::*;

/// A fake kernel view in a temporary directory.
struct Fake {
    dir: TempDir,
}

impl Fake {
    fn new() -> Fake {
        let fake = Fake {
            dir: tempfile::tempdir().unwrap(),
        };
        for dir in [
            "sys/block",
            "sys/class/block",
            "sys/dev/block",
            "proc/self",
            "dev/mapper",
        ] {
            fs::create_dir_all(fake.path(dir)).unwrap();
        }
        fake
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative.trim_start_matches('/'))
    }

    fn kernel(&self) -> Kernel {
        Kernel::at(self.dir.path())
    }

    /// A whole disk, `number` being `major:minor`.
    fn disk(&self, name: &str, number: &str) -> PathBuf {
        let relative = format!("devices/virtual/block/{name}");
        symlink(
            format!("../{relative}"),
            self.path(&format!("sys/block/{name}")),
        )
        .unwrap();
        self.device(name, number, &relative)
    }

    /// A partition: its directory sits in its disk's, and it has no `sys/block` link.
    fn partition(&self, disk: &str, name: &str, number: &str) -> PathBuf {
        let dir = self.device(
            name,
            number,
            &format!("devices/virtual/block/{disk}/{name}"),
        );
        fs::write(dir.join("partition"), "2\n").unwrap();
        dir
    }

    /// A device-mapper device over `slaves`.
    fn dm(&self, name: &str, number: &str, dm_name: &str, uuid: &str, slaves: &[&str]) -> PathBuf {
        let dir = self.disk(name, number);
        fs::create_dir_all(dir.join("dm")).unwrap();
        fs::write(dir.join("dm/name"), format!("{dm_name}\n")).unwrap();
        fs::write(dir.join("dm/uuid"), format!("{uuid}\n")).unwrap();
        fs::create_dir_all(dir.join("slaves")).unwrap();
        for slave in slaves {
            symlink(format!("../../{slave}"), dir.join("slaves").join(slave)).unwrap();
        }
        symlink(
            format!("../{name}"),
            self.path(&format!("dev/mapper/{dm_name}")),
        )
        .unwrap();
        dir
    }

    fn device(&self, name: &str, number: &str, relative: &str) -> PathBuf {
        let dir = self.path(&format!("sys/{relative}"));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("dev"), format!("{number}\n")).unwrap();
        symlink(
            format!("../../{relative}"),
            self.path(&format!("sys/class/block/{name}")),
        )
        .unwrap();
        symlink(
            format!("../../{relative}"),
            self.path(&format!("sys/dev/block/{number}")),
        )
        .unwrap();
        fs::write(self.path(&format!("dev/{name}")), "").unwrap();
        dir
    }

    /// `(mount point, major:minor, type, source)` lines of mountinfo.
    fn mounts(&self, mounts: &[(&str, &str, &str, &str)]) {
        let text: String = mounts
            .iter()
            .enumerate()
            .map(|(i, (point, number, fs_type, source))| {
                format!(
                    "{} 1 {number} / {point} rw,relatime shared:1 - {fs_type} {source} rw\n",
                    20 + i
                )
            })
            .collect();
        fs::write(self.path("proc/self/mountinfo"), text).unwrap();
    }

    /// `(path, type)` lines of /proc/swaps.
    fn swaps(&self, swaps: &[(&str, &str)]) {
        let mut text = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n".to_owned();
        for (path, kind) in swaps {
            text.push_str(&format!("{path}\t\t\t\t{kind}\t2097148\t\t0\t\t-2\n"));
        }
        fs::write(self.path("proc/swaps"), text).unwrap();
    }

    fn mkdir(&self, path: &str) {
        fs::create_dir_all(self.path(path)).unwrap();
    }
}

/// A laptop-style install: sda2 → LUKS2 (dm-0) → LVM volumes `vg-root` (dm-1) and `vg-swap`
/// (dm-2); a plain data disk sdb; /boot on sda1; tmpfs, NFS and zram on the side.
fn workstation() -> Fake {
    let fake = Fake::new();
    fake.disk("sda", "8:0");
    fake.partition("sda", "sda1", "8:1");
    fake.partition("sda", "sda2", "8:2");
    fake.disk("sdb", "8:16");
    fake.disk("zram0", "252:0");
    fake.dm(
        "dm-0",
        "253:0",
        "luks-0a1b",
        "CRYPT-LUKS2-0a1b2c3d-luks-0a1b",
        &["sda2"],
    );
    fake.dm("dm-1", "253:1", "vg-root", "LVM-AAAAroot", &["dm-0"]);
    fake.dm("dm-2", "253:2", "vg-swap", "LVM-AAAAswap", &["dm-0"]);
    fake.mounts(&[
        ("/", "253:1", "ext4", "/dev/mapper/vg-root"),
        ("/boot", "8:1", "ext4", "/dev/sda1"),
        ("/srv/plain", "8:16", "xfs", "/dev/sdb"),
        ("/run", "0:25", "tmpfs", "tmpfs"),
        ("/mnt/records", "0:50", "nfs4", "files.example.org:/records"),
    ]);
    for dir in [
        "/srv/ehr",
        "/srv/plain/ehr",
        "/run/ehr",
        "/mnt/records/2026",
        "/boot/ehr",
    ] {
        fake.mkdir(dir);
    }
    fake
}

fn run_ephi(fake: &Fake, paths: &[&str]) -> Vec<Finding> {
    let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
    ephi_at_rest(&ephi_meta(), &fake.kernel(), &paths).unwrap()
}

fn statuses(findings: &[Finding]) -> Vec<(&str, Status)> {
    findings
        .iter()
        .map(|f| (f.subject.as_str(), f.status))
        .collect()
}

#[test]
fn lvm_on_luks_is_encrypted_through_the_slave_chain() {
    let fake = workstation();
    let findings = run_ephi(&fake, &["/srv/ehr"]);
    assert_eq!(statuses(&findings), [("/srv/ehr", Status::Pass)]);
    assert_eq!(
        findings[0].message,
        "/srv/ehr, on the ext4 file system mounted at /, is encrypted at rest with dm-crypt \
         (LUKS2): dm-1 (vg-root, LVM) on dm-0 (luks-0a1b, dm-crypt LUKS2)"
    );
    assert_eq!(findings[0].remediation, None);
    let root = root_fs(&root_meta(), &fake.kernel()).unwrap();
    assert_eq!(statuses(&root), [("/", Status::Pass)]);
}

#[test]
fn each_path_is_judged_by_the_mount_it_is_on() {
    let fake = workstation();
    let findings = run_ephi(
        &fake,
        &[
            "/srv/ehr",
            "/srv/plain/ehr",
            "/boot/ehr",
            "/run/ehr",
            "/mnt/records/2026",
            "/srv/missing",
        ],
    );
    assert_eq!(
        statuses(&findings),
        [
            ("/srv/ehr", Status::Pass),
            ("/srv/plain/ehr", Status::Fail),
            ("/boot/ehr", Status::Fail),
            ("/run/ehr", Status::Pass),
            ("/mnt/records/2026", Status::Warn),
            ("/srv/missing", Status::Warn),
        ]
    );
    let plain = &findings[1].message;
    assert!(
        plain.starts_with(
            "/srv/plain/ehr, on the xfs file system mounted at /srv/plain, is not encrypted"
        ),
        "{plain}"
    );
    assert!(
        plain.contains("stored directly on sdb, which is not dm-crypt"),
        "{plain}"
    );
    assert!(
        findings[1]
            .remediation
            .as_deref()
            .unwrap()
            .contains("cryptsetup luksFormat")
    );
    // A partition of the disk whose other partition is encrypted is still plain.
    assert!(
        findings[2].message.contains("stored on sda1 on sda,"),
        "{}",
        findings[2].message
    );
    assert!(
        findings[3]
            .message
            .contains("kept in memory (a tmpfs file system)"),
        "{}",
        findings[3].message
    );
    let nfs = &findings[4].message;
    assert!(
        nfs.contains("network file system (nfs4 from files.example.org:/records)"),
        "{nfs}"
    );
    assert!(
        findings[5].message.contains("does not exist"),
        "{}",
        findings[5].message
    );
}

#[test]
fn symbolic_links_are_followed_to_the_real_mount() {
    let fake = workstation();
    // Relative, so that it resolves inside the fake root (an absolute link would leave it).
    symlink("plain/ehr", fake.path("srv/ehr-link")).unwrap();
    let findings = run_ephi(&fake, &["/srv/ehr-link"]);
    assert_eq!(statuses(&findings), [("/srv/ehr-link", Status::Fail)]);
    assert!(
        findings[0]
            .message
            .starts_with("/srv/plain/ehr, on the xfs"),
        "{}",
        findings[0].message
    );
}

#[test]
fn no_ephi_paths_is_a_warning_that_says_where_to_list_them() {
    let fake = workstation();
    let findings = run_ephi(&fake, &[]);
    assert_eq!(statuses(&findings), [("ephi_paths", Status::Warn)]);
    assert!(
        findings[0]
            .message
            .contains("`[fim] ephi_paths` in phiguard.toml")
    );
}

#[test]
fn a_plain_root_warns_and_mentions_the_cloud_provider() {
    let fake = Fake::new();
    fake.disk("vda", "254:0");
    fake.mounts(&[("/", "254:0", "ext4", "/dev/vda")]);
    let findings = root_fs(&root_meta(), &fake.kernel()).unwrap();
    assert_eq!(statuses(&findings), [("/", Status::Warn)]);
    let message = &findings[0].message;
    assert!(message.starts_with("the root file system (ext4 from /dev/vda) is not encrypted by this host: it is stored directly on vda, which is not dm-crypt"), "{message}");
    assert!(message.contains("encrypted by the provider"), "{message}");
    assert!(findings[0].remediation.as_deref().unwrap().contains("KMS"));
}

#[test]
fn a_volume_group_with_one_plain_disk_is_not_encrypted() {
    let fake = Fake::new();
    fake.disk("nvme0n1", "259:0");
    fake.disk("nvme1n1", "259:1");
    fake.dm(
        "dm-0",
        "253:0",
        "crypt1",
        "CRYPT-LUKS1-aa-crypt1",
        &["nvme0n1"],
    );
    fake.dm(
        "dm-1",
        "253:1",
        "data-ehr",
        "LVM-BBBB",
        &["dm-0", "nvme1n1"],
    );
    fake.mounts(&[("/", "253:1", "ext4", "/dev/mapper/data-ehr")]);
    fake.mkdir("/ehr");
    let findings = run_ephi(&fake, &["/ehr"]);
    assert_eq!(statuses(&findings), [("/ehr", Status::Fail)]);
    let message = &findings[0].message;
    assert!(
        message.contains("dm-1 (data-ehr, LVM) on [dm-0 (crypt1, dm-crypt LUKS1), nvme1n1]"),
        "{message}"
    );
    assert!(message.contains("down to nvme1n1"), "{message}");
}

#[test]
fn integrity_only_device_mapper_targets_do_not_count_as_encryption() {
    let fake = Fake::new();
    fake.disk("sda", "8:0");
    fake.dm("dm-0", "253:0", "root", "CRYPT-VERITY-abcd-root", &["sda"]);
    fake.mounts(&[("/", "253:0", "erofs", "/dev/mapper/root")]);
    let findings = root_fs(&root_meta(), &fake.kernel()).unwrap();
    assert_eq!(findings[0].status, Status::Warn);
    assert!(
        findings[0]
            .message
            .contains("dm-0 (root, dm-verity, integrity only) on sda"),
        "{}",
        findings[0].message
    );
}

#[test]
fn btrfs_anonymous_device_numbers_are_resolved_through_the_source() {
    let fake = Fake::new();
    fake.disk("sda", "8:0");
    fake.dm(
        "dm-0",
        "253:0",
        "cryptroot",
        "CRYPT-LUKS2-ff-cryptroot",
        &["sda"],
    );
    fake.mounts(&[("/", "0:31", "btrfs", "/dev/mapper/cryptroot")]);
    let findings = root_fs(&root_meta(), &fake.kernel()).unwrap();
    assert_eq!(statuses(&findings), [("/", Status::Pass)]);
}

#[test]
fn overlay_and_zfs_roots_are_unknown_not_plain() {
    let fake = Fake::new();
    fake.mounts(&[("/", "0:40", "overlay", "overlay")]);
    let findings = root_fs(&root_meta(), &fake.kernel()).unwrap();
    assert_eq!(findings[0].status, Status::Warn);
    assert!(findings[0].message.starts_with("could not tell whether the root file system (overlay from overlay) is encrypted: its overlay file system"), "{}", findings[0].message);
}

#[test]
fn swap_on_zram_dm_crypt_and_encrypted_files_passes_and_plain_swap_fails() {
    let fake = workstation();
    fake.dm(
        "dm-3",
        "253:3",
        "cryptswap",
        "CRYPT-PLAIN-cryptswap",
        &["sdb"],
    );
    fake.partition("sdb", "sdb1", "8:17");
    fs::write(fake.path("swapfile"), "").unwrap();
    fake.swaps(&[
        ("/dev/zram0", "partition"),
        ("/dev/dm-2", "partition"),
        ("/dev/mapper/cryptswap", "partition"),
        ("/swapfile", "file"),
        ("/dev/sdb1", "partition"),
        ("/srv/plain/swap\\040file", "file"),
    ]);
    let findings = swap(&swap_meta(), &fake.kernel()).unwrap();
    assert_eq!(
        statuses(&findings),
        [
            ("/dev/zram0", Status::Pass),
            ("/dev/dm-2", Status::Pass),
            ("/dev/mapper/cryptswap", Status::Pass),
            ("/swapfile", Status::Pass),
            ("/dev/sdb1", Status::Fail),
            ("/srv/plain/swap file", Status::Fail),
        ]
    );
    assert!(
        findings[0]
            .message
            .contains("zram0 (zram, compressed memory)"),
        "{}",
        findings[0].message
    );
    assert!(
        findings[2].message.contains("dm-crypt (PLAIN)"),
        "{}",
        findings[2].message
    );
    assert!(
        findings[3].message.starts_with(
            "the swap file /swapfile, on the ext4 file system mounted at /, is encrypted"
        ),
        "{}",
        findings[3].message
    );
    assert!(
        findings[4].message.contains("in clear"),
        "{}",
        findings[4].message
    );
}

#[test]
fn no_active_swap_passes() {
    let fake = workstation();
    fake.swaps(&[]);
    let findings = swap(&swap_meta(), &fake.kernel()).unwrap();
    assert_eq!(statuses(&findings), [("swap", Status::Pass)]);
}

#[test]
fn a_loop_device_is_as_safe_as_the_file_behind_it() {
    let fake = workstation();
    let dir = fake.disk("loop0", "7:0");
    fs::create_dir_all(dir.join("loop")).unwrap();
    fs::write(dir.join("loop/backing_file"), "/srv/plain/disk.img\n").unwrap();
    let dir = fake.disk("loop1", "7:1");
    fs::create_dir_all(dir.join("loop")).unwrap();
    fs::write(dir.join("loop/backing_file"), "/var/lib/disk.img\n").unwrap();
    let kernel = fake.kernel();
    let mounts = kernel.mounts().unwrap();
    let sysfs = Sysfs::new(&kernel, &mounts);
    assert_eq!(sysfs.backing("loop0").verdict, Verdict::Plain("sdb".into()));
    let on_root = sysfs.backing("loop1");
    assert_eq!(on_root.verdict, Verdict::Encrypted("LUKS2".into()));
    assert_eq!(
        on_root.chain,
        "loop1 (loop, file /var/lib/disk.img) on dm-1 (vg-root, LVM) on dm-0 (luks-0a1b, dm-crypt LUKS2)"
    );
}

#[test]
fn a_cycle_in_the_slave_links_stops() {
    let fake = Fake::new();
    fake.dm("dm-0", "253:0", "a", "LVM-a", &["dm-1"]);
    fake.dm("dm-1", "253:1", "b", "LVM-b", &["dm-0"]);
    let kernel = fake.kernel();
    let backing = Sysfs::new(&kernel, &[]).backing("dm-0");
    assert!(
        matches!(&backing.verdict, Verdict::Unknown(why) if why.contains("more than 16 layers")),
        "{backing:?}"
    );
}

#[test]
fn malformed_kernel_tables_become_error_findings_naming_file_and_line() {
    let fake = workstation();
    fs::write(
        fake.path("proc/swaps"),
        "Filename Type Size Used Priority\n/dev/sda2 partition lots 0 -2\n",
    )
    .unwrap();
    let meta = swap_meta();
    let findings = crate::logging::settle(&meta, swap(&meta, &fake.kernel())).unwrap();
    assert_eq!(findings.len(), 1);
    let path = fake.path("proc/swaps");
    assert_eq!(findings[0].status, Status::Error);
    assert_eq!(findings[0].subject, path.display().to_string());
    assert!(
        findings[0].message.starts_with(&format!(
            "{} line 2: size, used and priority must be numbers",
            path.display()
        )),
        "{}",
        findings[0].message
    );

    fs::write(
        fake.path("proc/self/mountinfo"),
        "20 1 253:1 / / rw - ext4 /dev/mapper/vg-root rw\n21 1 garbage\n",
    )
    .unwrap();
    let meta = root_meta();
    let findings = crate::logging::settle(&meta, root_fs(&meta, &fake.kernel())).unwrap();
    assert_eq!(findings[0].status, Status::Error);
    assert!(
        findings[0]
            .message
            .contains("mountinfo line 2: expected at least 9"),
        "{}",
        findings[0].message
    );
}

#[test]
fn missing_kernel_files_are_check_errors() {
    let fake = Fake::new();
    let meta = root_meta();
    let err = crate::logging::settle(&meta, root_fs(&meta, &fake.kernel())).unwrap_err();
    assert!(err.to_string().contains("proc/self/mountinfo"), "{err}");
}

/// This machine's real tables, through the same code: whatever the host, the root must be in
/// the mount table, a root on a numbered device must resolve to a device in /sys, and swap
/// must parse.
#[test]
fn this_machines_kernel_tables_make_sense() {
    let kernel = Kernel::at("/");
    let mounts = kernel.mounts().unwrap();
    let root = mountinfo::covering(&mounts, Path::new("/")).unwrap();
    assert_eq!(root.mount_point, Path::new("/"));
    let sysfs = Sysfs::new(&kernel, &mounts);
    if root.major != 0 {
        let device = sysfs.device_by_number(root.major, root.minor).unwrap();
        assert!(
            Path::new("/sys/class/block").join(&device).is_dir(),
            "{device}"
        );
        let backing = sysfs.backing(&device);
        assert!(
            !matches!(backing.verdict, Verdict::Unknown(_)),
            "{backing:?}"
        );
        assert!(backing.chain.starts_with(&device), "{backing:?}");
    }
    kernel.table("/proc/swaps", swaps::parse).unwrap();
    // Every mount of a numbered device names one that /sys knows.
    for mount in mounts.iter().filter(|m| m.major != 0) {
        assert!(
            sysfs.device_by_number(mount.major, mount.minor).is_some(),
            "{mount:?}"
        );
    }
    let findings = root_fs(&root_meta(), &kernel).unwrap();
    assert!(
        matches!(findings[0].status, Status::Pass | Status::Warn),
        "{findings:?}"
    );
}

//! Alpine's installed-package database, `lib/apk/db/installed`: blank-line separated records
//! of one-letter fields (`P:` name, `V:` version, `A:` architecture).

use std::fs;
use std::io;
use std::path::Path;

use phiguard_core::CheckError;

/// An installed apk package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApkPackage {
    pub name: String,
    pub version: String,
    pub architecture: String,
}

/// The installed packages, or `None` when the root has no apk database.
pub fn installed(root: &Path) -> Result<Option<Vec<ApkPackage>>, CheckError> {
    let path = root.join("lib/apk/db/installed");
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CheckError::io(&path, &e)),
    };
    parse(&bytes).map(Some).map_err(|(line, reason)| {
        CheckError::new(format!("{} line {line}: {reason}", path.display()))
    })
}

/// Parses the database; an error is (line, what is wrong).
pub fn parse(bytes: &[u8]) -> Result<Vec<ApkPackage>, (usize, &'static str)> {
    let mut packages = Vec::new();
    let mut current: Option<(usize, Option<String>, Option<String>, String)> = None;
    let finish = |record: Option<(usize, Option<String>, Option<String>, String)>,
                  packages: &mut Vec<ApkPackage>|
     -> Result<(), (usize, &'static str)> {
        if let Some((line, name, version, architecture)) = record {
            match (name, version) {
                (Some(name), Some(version)) => packages.push(ApkPackage {
                    name,
                    version,
                    architecture,
                }),
                _ => return Err((line, "package record without P: (name) or V: (version)")),
            }
        }
        Ok(())
    };
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = index + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            finish(current.take(), &mut packages)?;
            continue;
        }
        let (Some(&key), Some(b':')) = (line.first(), line.get(1)) else {
            return Err((line_no, "line is not `X:value`"));
        };
        let value = String::from_utf8_lossy(&line[2..]).trim().to_owned();
        let record = current.get_or_insert_with(|| (line_no, None, None, String::new()));
        match key {
            b'P' => record.1 = Some(value),
            b'V' => record.2 = Some(value),
            b'A' => record.3 = value,
            _ => {}
        }
    }
    finish(current.take(), &mut packages)?;
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_read_and_a_record_without_a_version_names_its_line() {
        let db = b"C:Q1abc=\nP:musl\nV:1.2.5-r0\nA:x86_64\nF:lib\nR:libc.musl-x86_64.so.1\n\n\
P:busybox\nV:1.36.1-r29\nA:x86_64\n";
        let packages = parse(db).unwrap();
        assert_eq!(
            packages,
            vec![
                ApkPackage {
                    name: "musl".into(),
                    version: "1.2.5-r0".into(),
                    architecture: "x86_64".into()
                },
                ApkPackage {
                    name: "busybox".into(),
                    version: "1.36.1-r29".into(),
                    architecture: "x86_64".into()
                },
            ]
        );
        assert_eq!(
            parse(b"P:musl\nV:1\n\nP:broken\nA:x86_64\n"),
            Err((4, "package record without P: (name) or V: (version)"))
        );
        assert_eq!(
            parse(b"P:musl\nnot a field\n"),
            Err((2, "line is not `X:value`"))
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse(&bytes);
        }
    }
}

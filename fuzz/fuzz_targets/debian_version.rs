//! `phiguard_debian::Version` from bytes, and its ordering: the input split in two must compare
//! antisymmetrically, and a parsed version must read back from its own display as an equal one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use phiguard_debian::Version;

fuzz_target!(|data: &[u8]| {
    if let Ok(version) = Version::try_from(data) {
        let shown = version.to_string();
        let again: Version = match shown.parse() {
            Ok(again) => again,
            Err(e) => panic!("{shown:?} (displayed from {version:?}) does not parse: {e}"),
        };
        assert_eq!(version, again, "{shown:?}");
    }
    let split = data.first().map_or(0, |&b| usize::from(b)) % (data.len().max(1));
    let (a, b) = data.split_at(split);
    if let (Ok(a), Ok(b)) = (Version::try_from(a), Version::try_from(b)) {
        assert_eq!(a.cmp(&b), b.cmp(&a).reverse(), "{a} vs {b}");
        assert_eq!(a.cmp(&a), std::cmp::Ordering::Equal, "{a}");
    }
});

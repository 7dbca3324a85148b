#![allow(clippy::unwrap_used, clippy::expect_used)]
//! AES-256-GCM known answers, through the same aws-lc-rs API the envelope uses
//! (`LessSafeKey`, 96-bit nonces, 128-bit tags, separate tags).
//!
//! The vectors are NIST CAVP `gcmEncryptExtIV256.rsp` (GCMVS,
//! <https://csrc.nist.gov/Projects/Cryptographic-Algorithm-Validation-Program/CAVP-TESTING-BLOCK-CIPHER-MODES>),
//! `[Keylen = 256] [IVlen = 96] [Taglen = 128]`, copied from the transcription in
//! RustCrypto/AEADs `aes-gcm/tests/aes256gcm.rs` (commit
//! 140f95e68350070ed55aeea839f1b294c62f3b81), each the first vector (Count = 0) of its
//! `[PTlen] [AADlen]` section, and checked again with Python `cryptography` (OpenSSL).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use phiguard_core::hex;

struct Vector {
    section: &'static str,
    key: &'static str,
    iv: &'static str,
    pt: &'static str,
    aad: &'static str,
    ct: &'static str,
    tag: &'static str,
}

const VECTORS: &[Vector] = &[
    Vector {
        section: "PTlen = 0, AADlen = 0",
        key: "b52c505a37d78eda5dd34f20c22540ea1b58963cf8e5bf8ffa85f9f2492505b4",
        iv: "516c33929df5a3284ff463d7",
        pt: "",
        aad: "",
        ct: "",
        tag: "bdc1ac884d332457a1d2664f168c76f0",
    },
    Vector {
        section: "PTlen = 0, AADlen = 128",
        key: "78dc4e0aaf52d935c3c01eea57428f00ca1fd475f5da86a49c8dd73d68c8e223",
        iv: "d79cf22d504cc793c3fb6c8a",
        pt: "",
        aad: "b96baa8c1c75a671bfb2d08d06be5f36",
        ct: "",
        tag: "3e5d486aa2e30b22e040b85723a06e76",
    },
    Vector {
        section: "PTlen = 128, AADlen = 0",
        key: "31bdadd96698c204aa9ce1448ea94ae1fb4a9a0b3c9d773b51bb1822666b8f22",
        iv: "0d18e06c7c725ac9e362e1ce",
        pt: "2db5168e932556f8089a0622981d017d",
        aad: "",
        ct: "fa4362189661d163fcd6a56d8bf0405a",
        tag: "d636ac1bbedd5cc3ee727dc2ab4a9489",
    },
    Vector {
        section: "PTlen = 128, AADlen = 128",
        key: "92e11dcdaa866f5ce790fd24501f92509aacf4cb8b1339d50c9c1240935dd08b",
        iv: "ac93a1a6145299bde902f21a",
        pt: "2d71bcfa914e4ac045b2aa60955fad24",
        aad: "1e0889016f67601c8ebea4943bc23ad6",
        ct: "8995ae2e6df3dbf96fac7b7137bae67f",
        tag: "eca5aa77d51d4a0a14d9c51e1da474ab",
    },
    Vector {
        section: "PTlen = 128, AADlen = 160",
        key: "83688deb4af8007f9b713b47cfa6c73e35ea7a3aa4ecdb414dded03bf7a0fd3a",
        iv: "0b459724904e010a46901cf3",
        pt: "33d893a2114ce06fc15d55e454cf90c3",
        aad: "794a14ccd178c8ebfd1379dc704c5e208f9d8424",
        ct: "cc66bee423e3fcd4c0865715e9586696",
        tag: "0fb291bd3dba94a1dfd8b286cfb97ac5",
    },
    Vector {
        section: "PTlen = 408, AADlen = 384",
        key: "4a8a12c0575ec65ae1c5784d2829bc7b04818eb00bd4c90a0d032ea281076e27",
        iv: "959f113b705397fb738018b0",
        pt: "0c5571195586e4fc7096fb86cfcd6684081446f3d7adc33a897f03ac4ff6c3cc2019b67bd3184c86070764f6deaa8a10d0d81f",
        aad: "adb8bc96142a1025122dc22f826957197af33dcdcf6b7ab56bc1a5e17e8534e48b8daf685faf9543bb343614bdf6737f",
        ct: "84212d5991231d35c4e8621163e5b370a0105a05856866e74df72c0808c062981570d32d274ea732fa4d29f9cfa7839cadbe6a",
        tag: "39cee3b8fa0bf92605666ccd9eb19840",
    },
    Vector {
        section: "PTlen = 408, AADlen = 720",
        key: "148579a3cbca86d5520d66c0ec71ca5f7e41ba78e56dc6eebd566fed547fe691",
        iv: "b08a5ea1927499c6ecbfd4e0",
        pt: "9d0b15fdf1bd595f91f8b3abc0f7dec927dfd4799935a1795d9ce00c9b879434420fe42c275a7cd7b39d638fb81ca52b49dc41",
        aad: "e4f963f015ffbb99ee3349bbaf7e8e8e6c2a71c230a48f9d59860a29091d2747e01a5ca572347e247d25f56ba7ae8e05cde2be3c97931292c02370208ecd097ef692687fecf2f419d3200162a6480a57dad408a0dfeb492e2c5d",
        ct: "2097e372950a5e9383c675e89eea1c314f999159f5611344b298cda45e62843716f215f82ee663919c64002a5c198d7878fd3f",
        tag: "adbecdb0d5c2224d804d2886ff9a5760",
    },
];

struct Decoded {
    key: LessSafeKey,
    iv: [u8; 12],
    pt: Vec<u8>,
    aad: Vec<u8>,
    ct: Vec<u8>,
    tag: Vec<u8>,
}

fn decode(v: &Vector) -> Decoded {
    let key = hex::decode(v.key).unwrap();
    assert_eq!(key.len(), 32, "{}: key length", v.section);
    Decoded {
        key: LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).unwrap()),
        iv: hex::decode(v.iv).unwrap().try_into().unwrap(),
        pt: hex::decode(v.pt).unwrap(),
        aad: hex::decode(v.aad).unwrap(),
        ct: hex::decode(v.ct).unwrap(),
        tag: hex::decode(v.tag).unwrap(),
    }
}

/// Opens `ct ‖ tag`, as the envelope's readers do (`open_in_place` / `open_separate_gather`).
fn open(d: &Decoded, aad: &[u8], ct: &[u8], tag: &[u8]) -> Option<Vec<u8>> {
    let mut buffer = [ct, tag].concat();
    let plain = d
        .key
        .open_in_place(
            Nonce::assume_unique_for_key(d.iv),
            Aad::from(aad),
            &mut buffer,
        )
        .ok()?;
    Some(plain.to_vec())
}

#[test]
fn encryption_gives_the_nist_ciphertext_and_tag() {
    for v in VECTORS {
        let d = decode(v);
        let mut buffer = d.pt.clone();
        let tag = d
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(d.iv),
                Aad::from(&d.aad),
                &mut buffer,
            )
            .unwrap();
        assert_eq!(hex::encode(&buffer), v.ct, "{}: ciphertext", v.section);
        assert_eq!(hex::encode(tag.as_ref()), v.tag, "{}: tag", v.section);
    }
}

#[test]
fn decryption_gives_the_nist_plaintext() {
    for v in VECTORS {
        let d = decode(v);
        assert_eq!(
            open(&d, &d.aad, &d.ct, &d.tag).as_deref(),
            Some(d.pt.as_slice()),
            "{}",
            v.section
        );
        // The separate-tag, gather form used for frames gives the same answer.
        let mut out = vec![0u8; d.ct.len()];
        d.key
            .open_separate_gather(
                Nonce::assume_unique_for_key(d.iv),
                Aad::from(&d.aad),
                &d.ct,
                &d.tag,
                &mut out,
            )
            .unwrap();
        assert_eq!(out, d.pt, "{}: gather", v.section);
    }
}

#[test]
fn every_flipped_tag_bit_fails() {
    for v in VECTORS {
        let d = decode(v);
        for bit in 0..d.tag.len() * 8 {
            let mut tag = d.tag.clone();
            tag[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                open(&d, &d.aad, &d.ct, &tag),
                None,
                "{}: tag bit {bit}",
                v.section
            );
        }
    }
}

#[test]
fn flipped_ciphertext_or_aad_bits_and_a_short_tag_fail() {
    for v in VECTORS {
        let d = decode(v);
        for i in 0..d.ct.len() {
            let mut ct = d.ct.clone();
            ct[i] ^= 0x80;
            assert_eq!(open(&d, &d.aad, &ct, &d.tag), None, "{}: ct {i}", v.section);
        }
        for i in 0..d.aad.len() {
            let mut aad = d.aad.clone();
            aad[i] ^= 0x01;
            assert_eq!(
                open(&d, &aad, &d.ct, &d.tag),
                None,
                "{}: aad {i}",
                v.section
            );
        }
        // AAD added where there was none, or removed where there was some.
        let other_aad: &[u8] = if d.aad.is_empty() { b"x" } else { b"" };
        assert_eq!(open(&d, other_aad, &d.ct, &d.tag), None, "{}", v.section);
        // A truncated tag is refused, not checked on its prefix.
        assert_eq!(
            open(&d, &d.aad, &d.ct, &d.tag[..15]),
            None,
            "{}: short tag",
            v.section
        );
    }
}

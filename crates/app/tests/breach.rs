//! `phiguard_app::breach::plan`: the plan file read from disk, and what is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failure with its location

use phiguard_app::breach::{PlanError, PlanRequest, Recipient, plan};

fn request(file: std::path::PathBuf) -> PlanRequest {
    PlanRequest {
        file,
        today: Some(jiff::civil::date(2026, 3, 1)),
    }
}

#[test]
fn a_plan_file_with_a_byte_order_mark_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("drill.yaml");
    std::fs::write(
        &file,
        "\u{feff}role: business_associate\ndiscovered: 2026-03-01\naffected: {OH: 1}\nbaa_window_days: 5\n",
    )
    .unwrap();
    let plan = plan(&request(file)).unwrap();
    assert_eq!(plan.notices.len(), 1);
    assert_eq!(plan.notices[0].recipient, Recipient::CoveredEntity);
    assert_eq!(plan.notices[0].due, jiff::civil::date(2026, 3, 6));
    assert_eq!(plan.notices[0].days_left, 5);
}

#[test]
fn an_invalid_plan_file_names_the_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("drill.yaml");
    std::fs::write(
        &file,
        "role: covered_entity\ndiscovered: 2026-3-1\naffected: {OH: 1}\n",
    )
    .unwrap();
    match plan(&request(file.clone())) {
        Err(PlanError::Invalid {
            file: named,
            line,
            reason,
        }) => {
            assert_eq!(named, file);
            assert_eq!(line, Some(2));
            assert!(reason.contains("\"2026-3-1\" is not a date"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_directory_a_large_file_and_a_binary_file_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let message = |path: std::path::PathBuf| plan(&request(path)).unwrap_err().to_string();
    assert!(message(tmp.path().to_owned()).contains("this is not a file"));
    let large = tmp.path().join("large.yaml");
    std::fs::write(&large, vec![b'#'; 2 * 1024 * 1024]).unwrap();
    assert!(message(large).contains("over 1024 KiB"));
    let binary = tmp.path().join("binary.yaml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x41]).unwrap();
    assert!(message(binary).contains("not UTF-8"));
    let absent = tmp.path().join("absent.yaml");
    assert!(matches!(
        plan(&request(absent)),
        Err(PlanError::Read { .. })
    ));
}

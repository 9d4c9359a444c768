//! The `agora` binary's contract for bad input: a clear message and exit status 2, never a
//! panic, and no window opened.

use std::process::Command;

use crate::data;

fn agora(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_agora"))
        .args(args)
        // Nothing here may need a display; make sure one is never found by accident.
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("agora runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "agora panicked: {stderr}");
    (output.status.code().unwrap_or(-1), stderr)
}

#[test]
fn an_invalid_scene_file_exits_2_naming_file_position_and_field() {
    let scene = data("scenes/bad-accent.ron");
    let (code, stderr) = agora(&["--scene", scene.to_str().expect("utf-8 path")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("bad-accent.ron:18:22:"), "{stderr}");
    assert!(stderr.contains("accent colour"), "{stderr}");
}

#[test]
fn an_unbuildable_scene_file_exits_2_listing_its_problems() {
    let scene = data("scenes/overlap.ron");
    let (code, stderr) = agora(&["--scene", scene.to_str().expect("utf-8 path")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("windows[1].position"), "{stderr}");
}

#[test]
fn bad_screenshot_requests_exit_2_before_opening_a_window() {
    for (args, expected) in [
        (&["--screenshot", "out.jpg"][..], "must end in .png"),
        (
            &["--screenshot", "/no/such/folder/out.png"],
            "does not exist",
        ),
        (
            &["--screenshot", "out.png", "--view", "window:passport"],
            "parking-permit",
        ),
        (
            &["--screenshot", "out.png", "--size", "12x9000"],
            "between 64 and 8192",
        ),
        (&["--lang", "fr"], "use en or zh-CN"),
    ] {
        let (code, stderr) = agora(args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
}

#[test]
fn without_a_display_the_plaza_says_what_to_do() {
    let (code, stderr) = agora(&[]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("xvfb-run"), "{stderr}");
}

//! A missing plugin is an error value, not a crash. (Its own test binary: the plugin is loaded
//! once per process, so the path must be set before anything else loads it.)

use z64_rsp::{run, Job, Z64Error};

#[test]
fn absent_plugin_is_reported_with_its_path() {
    std::env::set_var("Z64_RSP_PLUGIN", "/nonexistent/mupen64plus-rsp-z64.so");
    assert!(!z64_rsp::is_available());
    match run(&Job::default()) {
        Err(Z64Error::PluginUnavailable { path, reason }) => {
            assert_eq!(path.to_str(), Some("/nonexistent/mupen64plus-rsp-z64.so"));
            assert!(!reason.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

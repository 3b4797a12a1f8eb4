//! What the Node shim holds that the core decides: the commands it sends to
//! the ops module at once (`OPS_COMMANDS` in `pkg-shim/node-host.mjs`) are
//! the core's, so no command loads the registry module only to be handed
//! over, and none is sent to the ops module that the registry module has.

use ctl_packaging::cli::OPS_COMMANDS;

#[test]
fn the_shim_sends_exactly_the_ops_commands_to_the_ops_module() {
    let shim = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pkg-shim/node-host.mjs"
    ))
    .expect("pkg-shim/node-host.mjs is readable");
    let start = shim
        .find("const OPS_COMMANDS = [")
        .expect("node-host.mjs declares OPS_COMMANDS");
    let list = &shim[start..];
    let list = &list[list.find('[').unwrap() + 1..list.find(']').unwrap()];
    let names: Vec<&str> = list
        .split(',')
        .map(|w| w.trim().trim_matches('\''))
        .filter(|w| !w.is_empty())
        .collect();
    assert_eq!(names, OPS_COMMANDS, "pkg-shim/node-host.mjs OPS_COMMANDS");
}

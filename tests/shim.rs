//! What the Node shim holds that the core decides: the commands it sends to
//! the ops module and to the writers module at once (`OPS_COMMANDS` and
//! `WRITE_COMMANDS` in `pkg-shim/node-host.mjs`) are the core's, so no
//! command loads the read module only to be handed over, and none is
//! sent to a module other than the one that carries it.

use ctl_packaging::cli::{OPS_COMMANDS, WRITE_COMMANDS};

/// The names in the shim's `const <name> = [...]`.
fn shim_list(name: &str) -> Vec<String> {
    let shim = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/pkg-shim/node-host.mjs"
    ))
    .expect("pkg-shim/node-host.mjs is readable");
    let start = shim
        .find(&format!("const {name} = ["))
        .unwrap_or_else(|| panic!("node-host.mjs declares {name}"));
    let list = &shim[start..];
    let list = &list[list.find('[').unwrap() + 1..list.find(']').unwrap()];
    list.split(',')
        .map(|w| w.trim().trim_matches('\'').to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

#[test]
fn the_shim_sends_exactly_the_ops_commands_to_the_ops_module() {
    assert_eq!(
        shim_list("OPS_COMMANDS"),
        OPS_COMMANDS,
        "pkg-shim/node-host.mjs OPS_COMMANDS"
    );
}

#[test]
fn the_shim_sends_exactly_the_writers_to_the_writers_module() {
    assert_eq!(
        shim_list("WRITE_COMMANDS"),
        WRITE_COMMANDS,
        "pkg-shim/node-host.mjs WRITE_COMMANDS"
    );
}

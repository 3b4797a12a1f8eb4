//! Running commands against the in-memory host, shared by the native test files.
#![allow(dead_code)]

use ctl_packaging::host::memory::MemHost;
use ctl_packaging::run;

/// What one command printed and returned.
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn ctl(host: &MemHost, argv: &[&str]) -> Out {
    host.clear_output();
    let code = run(host, argv);
    Out {
        code,
        stdout: host.stdout(),
        stderr: host.stderr(),
    }
}

/// Stdout of a command that must succeed.
pub fn ok(host: &MemHost, argv: &[&str]) -> String {
    let out = ctl(host, argv);
    assert_eq!(out.code, 0, "{argv:?}: {}", out.stderr);
    out.stdout
}

/// Stderr of a command that must fail with exit code 1.
pub fn err(host: &MemHost, argv: &[&str]) -> String {
    let out = ctl(host, argv);
    assert_eq!(out.code, 1, "{argv:?} should fail: {}", out.stdout);
    out.stderr
}

/// Stderr of a command line that cannot be read (exit code 2); it prints
/// nothing on stdout.
pub fn usage(host: &MemHost, argv: &[&str]) -> String {
    let out = ctl(host, argv);
    assert_eq!(
        out.code, 2,
        "{argv:?} should be a usage error: {}",
        out.stdout
    );
    assert_eq!(out.stdout, "", "{argv:?}");
    out.stderr
}

//! Buffered stdout/stderr for a command.
//!
//! Output is collected and handed to the host in as few pieces as possible;
//! `flush` is called before a child process inherits the terminal so that
//! lines keep their order.

use crate::host::Host;

#[derive(Default)]
pub struct Console {
    out: String,
    err: String,
}

impl Console {
    /// A line on stdout.
    pub fn out(&mut self, line: impl AsRef<str>) {
        self.out.push_str(line.as_ref());
        self.out.push('\n');
    }

    /// Raw text on stdout (no newline added).
    pub fn out_raw(&mut self, text: &str) {
        self.out.push_str(text);
    }

    /// A line on stderr.
    pub fn err(&mut self, line: impl AsRef<str>) {
        self.err.push_str(line.as_ref());
        self.err.push('\n');
    }

    pub fn flush(&mut self, host: &dyn Host) {
        if !self.out.is_empty() {
            host.write_stdout(&self.out);
            self.out.clear();
        }
        if !self.err.is_empty() {
            host.write_stderr(&self.err);
            self.err.clear();
        }
    }
}

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
    /// Whether the text lines of stdout go to stderr (`--format json`,
    /// where stdout holds only the [`Console::result`]).
    pub divert: bool,
}

impl Console {
    /// A line on stdout (on stderr when diverted).
    pub fn out(&mut self, line: impl AsRef<str>) {
        self.out_raw(line.as_ref());
        self.out_raw("\n");
    }

    /// Raw text on stdout (no newline added; on stderr when diverted).
    pub fn out_raw(&mut self, text: &str) {
        self.text_stream().push_str(text);
    }

    /// Where the text lines of stdout go: stdout, or stderr when diverted.
    fn text_stream(&mut self) -> &mut String {
        match self.divert {
            true => &mut self.err,
            false => &mut self.out,
        }
    }

    /// A command's whole output, made in one piece (`list`, `verify`'s and
    /// `export`'s renderings): kept as it is when nothing is buffered before
    /// it, so that a text of megabytes is not copied (and its pages touched)
    /// a second time.
    pub fn out_text(&mut self, text: String) {
        let to = self.text_stream();
        if to.is_empty() {
            *to = text;
        } else {
            to.push_str(&text);
        }
    }

    /// A line on stdout, diverted or not: the JSON result.
    pub fn result(&mut self, line: &str) {
        self.out.push_str(line);
        self.out.push('\n');
    }

    /// A line on stderr.
    pub fn err(&mut self, line: impl AsRef<str>) {
        self.err.push_str(line.as_ref());
        self.err.push('\n');
    }

    /// Take what is buffered for stdout (`install` and `materialize` turn
    /// their own lines into their JSON result).
    pub fn take_out(&mut self) -> String {
        std::mem::take(&mut self.out)
    }

    /// Write what is buffered for stderr, keeping stdout's (a JSON result
    /// still to come): before a program whose output goes to stderr as it comes.
    pub fn flush_err(&mut self, host: &dyn Host) {
        if !self.err.is_empty() {
            host.write_stderr(&self.err);
            self.err.clear();
        }
    }

    pub fn flush(&mut self, host: &dyn Host) {
        if !self.out.is_empty() {
            host.write_stdout(&self.out);
            self.out.clear();
        }
        self.flush_err(host);
    }
}

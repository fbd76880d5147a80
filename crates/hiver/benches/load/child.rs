//! The bench binary re-executed as a helper process, driven by one-line commands.
//!
//! P8 needs 10,000 client and 10,000 server sockets, more than one process may open under
//! a 20,000 file-descriptor limit; P9 wants a server whose memory is not mixed with
//! criterion's. Either way the helper is this same binary: `main` checks an environment
//! variable first and runs the helper's loop instead of criterion. The protocol is a line
//! per command on the helper's stdin and a line per answer on its stdout (`ok …` or
//! `err …`); its stderr is the bench's.

use std::io::{self, BufRead, BufReader, Write};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};

/// A running helper process.
pub struct Child {
    process: std::process::Child,
    /// `None` once closed (the helper's signal to stop).
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Child {
    /// Starts this bench binary again with `var=value` in its environment.
    pub fn spawn(var: &str, value: &str) -> io::Result<Child> {
        let mut process = Command::new(std::env::current_exe()?)
            .env(var, value)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = process.stdin.take();
        let stdout = process.stdout.take().map(BufReader::new);
        let stdout = stdout.ok_or_else(|| io::Error::other("helper stdout not piped"))?;
        Ok(Child {
            process,
            stdin,
            stdout,
        })
    }

    /// The helper's process id (for `/proc/<pid>/status`).
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Sends one command and returns the text after `ok`; an `err` answer or a helper that
    /// exited is an error.
    pub fn command(&mut self, line: &str) -> io::Result<String> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| io::Error::other("helper already closed"))?;
        writeln!(stdin, "{line}")?;
        stdin.flush()?;
        self.answer()
    }

    /// Reads the next answer line (a helper announces itself with one before any command).
    pub fn answer(&mut self) -> io::Result<String> {
        let mut answer = String::new();
        if self.stdout.read_line(&mut answer)? == 0 {
            return Err(io::Error::other("helper exited"));
        }
        let answer = answer.trim_end();
        match answer.split_once(' ').unwrap_or((answer, "")) {
            ("ok", rest) => Ok(rest.to_owned()),
            ("err", why) => Err(io::Error::other(format!("helper: {why}"))),
            _ => Err(io::Error::other(format!("helper said {answer:?}"))),
        }
    }

    /// Closes the helper's stdin (it stops on end of input) and waits for it.
    pub fn finish(mut self) -> io::Result<()> {
        self.stdin = None;
        let status = self.process.wait()?;
        if status.success() {
            Ok(())
        } else {
            Err(io::Error::other(format!("helper exited with {status}")))
        }
    }
}

/// The helper's side: answers each stdin line with `handle`'s result until end of input.
pub fn serve_commands(mut handle: impl FnMut(&str) -> io::Result<String>) -> io::Result<()> {
    let mut out = io::stdout().lock();
    for line in io::stdin().lock().lines() {
        let line = line?;
        match handle(line.trim()) {
            Ok(answer) => writeln!(out, "ok {answer}")?,
            Err(e) => writeln!(out, "err {e}")?,
        }
        out.flush()?;
    }
    Ok(())
}

/// Announces the helper as ready (`ok <text>`) before it reads commands.
pub fn announce(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "ok {text}")?;
    out.flush()
}

/// Reports a helper that could not start (`err <why>`).
pub fn announce_error(why: &dyn std::fmt::Display) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "err {why}")?;
    out.flush()
}

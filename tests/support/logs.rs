//! What the portal logs during the tests, captured so that a test can check
//! a log line an operator would see (and that no secret is in any line).

use std::io::Write;
use std::sync::{Mutex, OnceLock};

static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOG.lock().expect("the log").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts capturing the log of this test process (at info level and up),
/// once; later calls do nothing.
pub fn capture() {
    static STARTED: OnceLock<()> = OnceLock::new();
    STARTED.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_writer(|| Capture)
            .with_ansi(false)
            .with_env_filter("info,wasmtime=warn,cranelift=warn,sea_orm_migration=warn")
            .try_init();
    });
}

/// Everything captured so far.
pub fn text() -> String {
    String::from_utf8_lossy(&LOG.lock().expect("the log")).into_owned()
}

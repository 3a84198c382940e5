//! WASI as a module sees it. Components built with the toolchains' defaults
//! (Rust's standard library, componentize-py, ComponentizeJS) import WASI
//! 0.2's command surface, so all of it is linked, with nothing of the host
//! behind it:
//!
//! - `wasi:filesystem`: no preopened folder, so there is nothing to open;
//! - `wasi:sockets`: every address refused, no name lookup, no TCP or UDP;
//! - `wasi:cli`: no arguments, no environment, empty standard input;
//!   standard output and error become the call's [`ModuleOutput`];
//! - clocks (the host's wall clock, which tests can set) and random.
//!
//! `wasi:http` is not linked: a module reaches outside systems through what
//! Portico gives it, not on its own. A component that imports it (every
//! ComponentizeJS build does, for `fetch`) still loads, but each of its
//! functions fails the call with [`HTTP_REFUSED`] ([`refuse_http`]).

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, Linker, ResourceType};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{
    DynInputStream, DynOutputStream, DynPollable, IoError, OutputStream, Pollable, StreamResult,
};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder};

use super::CallState;

/// What a call that uses `wasi:http` fails with.
pub(crate) const HTTP_REFUSED: &str = "a module cannot make HTTP requests of its own (`wasi:http` is \
     not available in Portico); outside systems are reached through the connections an \
     administrator sets up";

/// The WASI context of one call: nothing to open, nowhere to connect, and
/// standard output and error into `output`.
pub(crate) fn context(output: &ModuleOutput, clock: &crate::Clock) -> WasiCtx {
    WasiCtxBuilder::new()
        .stdout(output.clone())
        .stderr(output.clone())
        .wall_clock(clock.clone())
        // The defaults already; stated, as they are the sandbox.
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }))
        .build()
}

/// Links WASI 0.2 (every interface but `wasi:http`).
pub(crate) fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)
}

/// Whether `name` (an import's name, with its version) is WASI 0.2 as
/// [`add_to_linker`] links it.
pub(crate) fn is_linked(name: &str) -> bool {
    const PACKAGES: &[&str] = &[
        "wasi:io/",
        "wasi:clocks/",
        "wasi:random/",
        "wasi:cli/",
        "wasi:filesystem/",
        "wasi:sockets/",
    ];
    PACKAGES.iter().any(|p| name.starts_with(p)) && is_0_2(name)
}

/// Whether `name` is an interface of `wasi:http` 0.2, which
/// [`refuse_http`] answers.
pub(crate) fn is_http(name: &str) -> bool {
    name.starts_with("wasi:http/") && is_0_2(name)
}

/// WASI 0.2.x: what the linker matches (any patch release of 0.2).
fn is_0_2(name: &str) -> bool {
    name.split_once('@')
        .is_some_and(|(_, version)| version.starts_with("0.2."))
}

/// A resource of `wasi:http` no module can ever hold: every function that
/// would make one refuses.
struct HttpRefused;

/// Defines every `wasi:http` function `component` imports in `linker` as a
/// refusal that ends the call with [`HTTP_REFUSED`].
pub(crate) fn refuse_http(
    linker: &mut Linker<CallState>,
    component: &Component,
) -> wasmtime::Result<()> {
    let engine = component.engine();
    for (name, item) in component.component_type().imports(engine) {
        let ComponentItem::ComponentInstance(instance) = item.ty else {
            continue;
        };
        if !is_http(name) {
            continue;
        }
        let mut linked = linker.instance(name)?;
        for (export, item) in instance.exports(engine) {
            match item.ty {
                ComponentItem::ComponentFunc(_) => {
                    let what = format!("{name}#{export}");
                    linked.func_new(export, move |_, _, _, _| {
                        Err(wasmtime::Error::msg(format!("{HTTP_REFUSED} (`{what}`)")))
                    })?;
                }
                ComponentItem::Resource(_) => {
                    // `wasi:http/types` uses wasi:io's streams, pollable
                    // and error: those are the linked ones; its own
                    // resources (fields, requests, bodies) can never exist.
                    let ty = match export {
                        "input-stream" => ResourceType::host::<DynInputStream>(),
                        "output-stream" => ResourceType::host::<DynOutputStream>(),
                        "pollable" => ResourceType::host::<DynPollable>(),
                        "io-error" | "error" => ResourceType::host::<IoError>(),
                        _ => ResourceType::host::<HttpRefused>(),
                    };
                    linked.resource(export, ty, |_, _| Ok(()))?;
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The most bytes of a module's standard output and error one call keeps.
const OUTPUT_CAPTURE: usize = 16 << 10;

/// What a module wrote to standard output and error in one call (a print,
/// a Python traceback, a JavaScript exception, a Rust panic message),
/// interleaved as written. It never refuses a write: past
/// [`OUTPUT_CAPTURE`] bytes the oldest are dropped, since the end of a
/// traceback is what says what went wrong.
#[derive(Clone, Default)]
pub(crate) struct ModuleOutput(Arc<Mutex<Captured>>);

#[derive(Default)]
struct Captured {
    bytes: VecDeque<u8>,
    dropped: usize,
}

impl ModuleOutput {
    fn append(&self, bytes: &[u8]) {
        let mut c = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let bytes = if bytes.len() > OUTPUT_CAPTURE {
            c.dropped += bytes.len() - OUTPUT_CAPTURE;
            &bytes[bytes.len() - OUTPUT_CAPTURE..]
        } else {
            bytes
        };
        let over = (c.bytes.len() + bytes.len()).saturating_sub(OUTPUT_CAPTURE);
        c.bytes.drain(..over);
        c.dropped += over;
        c.bytes.extend(bytes);
    }

    /// Whether the module wrote nothing.
    pub(crate) fn is_empty(&self) -> bool {
        let c = self.0.lock().unwrap_or_else(|e| e.into_inner());
        c.bytes.is_empty() && c.dropped == 0
    }

    /// The output on one line, control characters escaped so it cannot
    /// forge log lines; empty when the module wrote nothing.
    pub(crate) fn text(&self) -> String {
        let (text, dropped) = self.contents();
        let text = text.trim().escape_debug().to_string();
        if dropped > 0 {
            format!("[{dropped} earlier bytes left out] {text}")
        } else {
            text
        }
    }

    /// What was kept, as text, and how many bytes before it were dropped.
    fn contents(&self) -> (String, usize) {
        let c = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (a, b) = c.bytes.as_slices();
        let mut raw = a.to_vec();
        raw.extend_from_slice(b);
        (String::from_utf8_lossy(&raw).into_owned(), c.dropped)
    }

    /// What the module's output says went wrong, in one line: a Python or
    /// JavaScript exception (`ValueError: …`, `TypeError: …`), else a Rust
    /// panic's message, else the last line written.
    pub(crate) fn reason(&self) -> Option<String> {
        let (text, _) = self.contents();
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let exception = lines.iter().rev().find_map(|l| exception(l));
        let panic = || {
            let at = lines.iter().rposition(|l| l.contains("panicked at"))?;
            lines.get(at + 1).copied()
        };
        let line = exception.or_else(panic).or_else(|| lines.last().copied())?;
        Some(
            line.chars()
                .take(500)
                .collect::<String>()
                .escape_debug()
                .to_string(),
        )
    }
}

/// The exception in `line`, if it names one: `ValueError: …` as Python
/// prints it, `Error: …` as JavaScript does, or the thrown error
/// ComponentizeJS quotes when it cannot return it ("… (received `Error:
/// …`) …").
fn exception(line: &str) -> Option<&str> {
    if let Some((_, received)) = line.split_once("(received `")
        && let Some((thrown, _)) = received.split_once("`)")
        && exception(thrown).is_some()
    {
        return Some(thrown);
    }
    let (name, _) = line.split_once(": ")?;
    let named = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && (name.ends_with("Error") || name.ends_with("Exception"));
    named.then_some(line)
}

impl IsTerminal for ModuleOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for ModuleOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for ModuleOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.append(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(OUTPUT_CAPTURE)
    }
}

#[async_trait::async_trait]
impl Pollable for ModuleOutput {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for ModuleOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.append(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_keeps_the_end_and_says_what_it_left_out() {
        let out = ModuleOutput::default();
        out.append(b"first line\n");
        out.append(&vec![b'x'; OUTPUT_CAPTURE]);
        out.append(b"\nValueError: boom\n");
        let text = out.text();
        assert!(text.starts_with("[29 earlier bytes left out]"), "{text}");
        assert!(text.ends_with("ValueError: boom"), "{text}");
        assert_eq!(out.reason().as_deref(), Some("ValueError: boom"));
    }

    #[test]
    fn the_reason_is_the_exception_or_the_panic_message() {
        let reason = |text: &str| {
            let out = ModuleOutput::default();
            out.append(text.as_bytes());
            out.reason()
        };
        let python = "Traceback (most recent call last):\n  File \"/0/app.py\", line 52, in render\n\
             ValueError: the register is unreachable\n\nthread '<unnamed>' (1) panicked at \
             runtime/src/lib.rs:1293:29:\nPython function threw an unexpected exception\n\
             note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace";
        assert_eq!(
            reason(python).as_deref(),
            Some("ValueError: the register is unreachable")
        );
        let js = "invalid variant tag value `undefined` (received `Error: the register is \
             unreachable`) specified for `Error`\nStack:\n  render@initializer.js:4298:17\n\n\
             Redirecting call to abort() to mozalloc_abort";
        assert_eq!(
            reason(js).as_deref(),
            Some("Error: the register is unreachable")
        );
        let rust = "thread '<unnamed>' panicked at src/lib.rs:10:5:\nno notice 7\n\
             note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace";
        assert_eq!(reason(rust).as_deref(), Some("no notice 7"));
        assert_eq!(reason("just a print").as_deref(), Some("just a print"));
        assert_eq!(reason("").as_deref(), None);
    }

    #[test]
    fn output_escapes_what_could_forge_a_log_line() {
        let out = ModuleOutput::default();
        out.append(b"a\nlevel=ERROR forged\x1b[31m");
        assert_eq!(out.text(), "a\\nlevel=ERROR forged\\u{1b}[31m");
    }

    #[test]
    fn wasi_0_2_is_linked_and_http_refused_by_name() {
        assert!(is_linked("wasi:io/poll@0.2.12"));
        assert!(is_linked("wasi:filesystem/preopens@0.2.0"));
        assert!(!is_linked("wasi:io/poll@0.3.0-rc-2025-09-16"));
        assert!(!is_linked("wasi:http/types@0.2.10"));
        assert!(is_http("wasi:http/outgoing-handler@0.2.10"));
        assert!(!is_linked("wasi:keyvalue/store@0.2.0-draft"));
    }
}

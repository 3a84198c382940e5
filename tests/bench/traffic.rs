//! A loopback load generator, `wrk`-style: one task per connection, each
//! sending `GET` after `GET` on a kept-alive HTTP/1.1 connection (and
//! connecting again when the server closes it), counting the answers by
//! status and timing each from the request's first byte to the answer's last.
//! No request is sent once the run's time is up; one sent before is waited
//! for (at most [`GRACE`]) and counted, so the slowest answers, those the
//! end of a run would cut off, are in the percentiles too.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long an answer is waited for after the run's time is up: longer
/// than any call's deadline.
const GRACE: Duration = Duration::from_secs(10);

/// What one run saw.
#[derive(Debug, Default)]
pub struct Tally {
    /// Answers by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Requests that failed: the connection was refused, reset or closed
    /// mid-answer, or no answer came within the grace.
    pub failures: u64,
    /// The time of every answer.
    pub latencies: Vec<Duration>,
    /// How long the run took, until the last answer.
    pub elapsed: Duration,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.failures += other.failures;
        self.latencies.extend(other.latencies);
    }

    /// `200` answers per second.
    pub fn goodput(&self) -> f64 {
        self.ok() as f64 / self.elapsed.as_secs_f64()
    }

    /// Answers that were `200`.
    pub fn ok(&self) -> u64 {
        self.statuses.get(&200).copied().unwrap_or(0)
    }

    /// Percent of requests that got anything but a `200` (a `503`, or a
    /// failed connection).
    pub fn error_share(&self) -> f64 {
        let all = self.statuses.values().sum::<u64>() + self.failures;
        if all == 0 {
            return 0.0;
        }
        (all - self.ok()) as f64 * 100.0 / all as f64
    }

    /// The 99th percentile of the answers' times, in milliseconds.
    pub fn p99_ms(&mut self) -> f64 {
        self.percentile_ms(99)
    }

    /// The `p`th percentile of the answers' times, in milliseconds.
    pub fn percentile_ms(&mut self, p: usize) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        self.latencies.sort();
        let i = (self.latencies.len() * p / 100).min(self.latencies.len() - 1);
        self.latencies[i].as_secs_f64() * 1e3
    }
}

/// `connections` connections sending `GET path` for `duration`.
pub async fn run(addr: SocketAddr, path: &str, connections: usize, duration: Duration) -> Tally {
    let request: Arc<[u8]> =
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/html\r\n\r\n")
            .into_bytes()
            .into();
    let start = Instant::now();
    let until = tokio::time::Instant::from_std(start + duration);
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(connection(addr, request.clone(), until)))
        .collect();
    let mut tally = Tally::default();
    for task in tasks {
        // A panic in a connection (an answer that is not HTTP) fails the bench.
        tally.merge(task.await.expect("a connection's task"));
    }
    tally.elapsed = start.elapsed();
    tally
}

async fn connection(addr: SocketAddr, request: Arc<[u8]>, until: tokio::time::Instant) -> Tally {
    let mut tally = Tally::default();
    let mut open: Option<Connection> = None;
    while tokio::time::Instant::now() < until {
        let mut conn = match open.take() {
            Some(c) => c,
            None => match tokio::time::timeout_at(until, TcpStream::connect(addr)).await {
                Err(_) => break,
                Ok(Ok(stream)) => {
                    stream.set_nodelay(true).expect("no delay");
                    Connection {
                        stream,
                        buf: Vec::with_capacity(64 * 1024),
                    }
                }
                Ok(Err(_)) => {
                    tally.failures += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let sent = Instant::now();
        match tokio::time::timeout_at(until + GRACE, conn.exchange(&request)).await {
            Err(_) => {
                tally.failures += 1;
                break;
            }
            Ok(Ok(answer)) => {
                tally.latencies.push(sent.elapsed());
                *tally.statuses.entry(answer.status).or_default() += 1;
                if answer.keep_alive {
                    open = Some(conn);
                }
            }
            Ok(Err(e)) => {
                assert!(
                    e.kind() != std::io::ErrorKind::InvalidData,
                    "an answer that is not HTTP/1.1: {e}"
                );
                tally.failures += 1;
            }
        }
    }
    tally
}

struct Connection {
    stream: TcpStream,
    /// Bytes read and not yet consumed.
    buf: Vec<u8>,
}

struct Answer {
    status: u16,
    keep_alive: bool,
}

fn invalid(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned())
}

impl Connection {
    /// Reads more bytes into the buffer; an error at the end of the stream.
    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// The position just past the first `\r\n` in the buffer, reading until there is one.
    async fn line_end(&mut self) -> std::io::Result<usize> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                return Ok(i + 2);
            }
            self.fill().await?;
        }
    }

    /// Reads until the buffer holds `n` bytes.
    async fn hold(&mut self, n: usize) -> std::io::Result<()> {
        while self.buf.len() < n {
            self.fill().await?;
        }
        Ok(())
    }

    /// Sends one request and reads its whole answer.
    async fn exchange(&mut self, request: &[u8]) -> std::io::Result<Answer> {
        self.stream.write_all(request).await?;
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).map_err(|_| invalid("head"))?;
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.strip_prefix("HTTP/1.1 "))
            .and_then(|l| l.get(..3))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| invalid("status line"))?;
        let (mut length, mut chunked, mut keep_alive) = (None, false, true);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => keep_alive = !value.eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        self.buf.drain(..head_end);
        if chunked {
            loop {
                let end = self.line_end().await?;
                let size_text =
                    std::str::from_utf8(&self.buf[..end - 2]).map_err(|_| invalid("chunk size"))?;
                let size =
                    usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                        .map_err(|_| invalid("chunk size"))?;
                self.buf.drain(..end);
                if size == 0 {
                    // No trailers from Portico: the empty line ends the body.
                    let end = self.line_end().await?;
                    self.buf.drain(..end);
                    break;
                }
                self.hold(size + 2).await?;
                self.buf.drain(..size + 2);
            }
        } else if let Some(n) = length {
            self.hold(n).await?;
            self.buf.drain(..n);
        } else {
            // Neither: the body runs to the end of the stream.
            while self.fill().await.is_ok() {}
            self.buf.clear();
            keep_alive = false;
        }
        Ok(Answer { status, keep_alive })
    }
}

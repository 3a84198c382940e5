//! Real peers on loopback that record what the portal sent them: an SMTP
//! server and an HTTP SMS gateway, each of which can be told to refuse the
//! first messages with a temporary failure, to exercise retries; and a map
//! tile server.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// An e-mail as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The envelope sender.
    pub from: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The message as sent (headers and body, dot-unstuffed).
    pub raw: Vec<u8>,
}

impl ReceivedMail {
    /// The decoded subject.
    pub fn subject(&self) -> String {
        self.parsed().subject().unwrap_or_default().to_owned()
    }

    /// The decoded plain-text body.
    pub fn text(&self) -> String {
        self.parsed()
            .body_text(0)
            .map(|t| t.into_owned())
            .unwrap_or_default()
    }

    /// A decoded header's value as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.parsed().header_raw(name).map(|v| v.trim().to_owned())
    }

    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("a parsable e-mail")
    }
}

/// An SMTP server on a loopback port that keeps every message it accepts.
#[derive(Clone)]
pub struct SmtpSink {
    /// Where it listens.
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<ReceivedMail>>>,
    refuse: Arc<AtomicUsize>,
}

impl SmtpSink {
    /// Starts one; it refuses the first `refuse` messages with `451`.
    pub async fn start(refuse: usize) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a port");
        let sink = SmtpSink {
            addr: listener.local_addr().expect("its address"),
            received: Arc::default(),
            refuse: Arc::new(AtomicUsize::new(refuse)),
        };
        let s = sink.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move { s.session(socket).await });
            }
        });
        sink
    }

    /// The URL the portal is configured with.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// What arrived so far.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.received.lock().expect("lock").clone()
    }

    async fn session(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sink.test ESMTP\r\n").await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_owned();
            let verb = command
                .split([' ', ':'])
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
                "HELO" | "NOOP" => b"250 ok\r\n",
                "RSET" => {
                    (from, to) = (String::new(), Vec::new());
                    b"250 ok\r\n"
                }
                "MAIL" => {
                    let left = self.refuse.load(Ordering::SeqCst);
                    if left > 0 {
                        self.refuse.store(left - 1, Ordering::SeqCst);
                        b"451 4.3.0 try again later\r\n"
                    } else {
                        from = address(&command);
                        b"250 ok\r\n"
                    }
                }
                "RCPT" => {
                    to.push(address(&command));
                    b"250 ok\r\n"
                }
                "DATA" => {
                    write.write_all(b"354 go ahead\r\n").await?;
                    let mut raw = Vec::new();
                    loop {
                        let mut l = String::new();
                        if lines.read_line(&mut l).await? == 0 {
                            return Ok(());
                        }
                        if l == ".\r\n" {
                            break;
                        }
                        let l = l.strip_prefix('.').unwrap_or(&l);
                        raw.extend_from_slice(l.as_bytes());
                    }
                    self.received.lock().expect("lock").push(ReceivedMail {
                        from: std::mem::take(&mut from),
                        to: std::mem::take(&mut to),
                        raw,
                    });
                    b"250 queued\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => b"502 not implemented\r\n",
            };
            write.write_all(reply).await?;
        }
    }
}

fn address(command: &str) -> String {
    let start = command.find('<').map_or(0, |i| i + 1);
    let end = command.rfind('>').unwrap_or(command.len());
    command[start..end.max(start)].to_owned()
}

/// A text message as the gateway received it.
#[derive(Debug, Clone)]
pub struct ReceivedSms {
    /// The `Authorization` header.
    pub authorization: Option<String>,
    /// The JSON body.
    pub body: serde_json::Value,
}

/// An HTTP SMS gateway on a loopback port that keeps every message.
#[derive(Clone)]
pub struct SmsSink {
    /// Where it listens.
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<ReceivedSms>>>,
}

impl SmsSink {
    /// Starts one; it answers `503` to the first `refuse` messages.
    pub async fn start(refuse: usize) -> SmsSink {
        use axum::extract::State;
        use axum::http::{HeaderMap, StatusCode};

        #[derive(Clone)]
        struct Gateway {
            received: Arc<Mutex<Vec<ReceivedSms>>>,
            refuse: Arc<AtomicUsize>,
        }
        async fn take(
            State(g): State<Gateway>,
            headers: HeaderMap,
            axum::Json(body): axum::Json<serde_json::Value>,
        ) -> (StatusCode, &'static str) {
            let left = g.refuse.load(Ordering::SeqCst);
            if left > 0 {
                g.refuse.store(left - 1, Ordering::SeqCst);
                return (StatusCode::SERVICE_UNAVAILABLE, "operator busy");
            }
            g.received.lock().expect("lock").push(ReceivedSms {
                authorization: headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                body,
            });
            (StatusCode::ACCEPTED, "accepted")
        }
        let received = Arc::<Mutex<Vec<ReceivedSms>>>::default();
        let app = axum::Router::new()
            .route("/sms", axum::routing::post(take))
            .with_state(Gateway {
                received: received.clone(),
                refuse: Arc::new(AtomicUsize::new(refuse)),
            });
        SmsSink {
            addr: crate::serve(app).await,
            received,
        }
    }

    /// The URL the portal is configured with.
    pub fn url(&self) -> String {
        format!("http://{}/sms", self.addr)
    }

    /// What arrived so far.
    pub fn received(&self) -> Vec<ReceivedSms> {
        self.received.lock().expect("lock").clone()
    }
}

/// A map tile server on a loopback port, in the OpenStreetMap layout
/// (`/{z}/{x}/{y}.png`): each tile a PNG of 256 × 256 pixels, a pale
/// ground with a grid of streets, so that a screenshot shows where tiles
/// lie. It counts the tiles asked for.
#[derive(Clone)]
pub struct TileServer {
    /// Where it listens.
    pub addr: SocketAddr,
    served: Arc<AtomicUsize>,
}

impl TileServer {
    /// Starts one.
    pub async fn start() -> TileServer {
        use axum::extract::{Path, State};
        use axum::http::{StatusCode, header};
        use axum::response::IntoResponse;

        async fn tile(
            State(served): State<Arc<AtomicUsize>>,
            Path((z, x, y)): Path<(u32, u32, String)>,
        ) -> axum::response::Response {
            let Some(y) = y.strip_suffix(".png").and_then(|y| y.parse::<u32>().ok()) else {
                return StatusCode::NOT_FOUND.into_response();
            };
            if z > 19 || x >= 1 << z || y >= 1 << z {
                return StatusCode::NOT_FOUND.into_response();
            }
            served.fetch_add(1, Ordering::SeqCst);
            (
                [(header::CONTENT_TYPE, "image/png")],
                TileServer::draw(x, y),
            )
                .into_response()
        }
        let served = Arc::new(AtomicUsize::new(0));
        let app = axum::Router::new()
            .route("/{z}/{x}/{y}", axum::routing::get(tile))
            .with_state(served.clone());
        TileServer {
            addr: crate::serve(app).await,
            served,
        }
    }

    /// The tile URL template the portal is configured with.
    pub fn template(&self) -> String {
        format!("http://{}/{{z}}/{{x}}/{{y}}.png", self.addr)
    }

    /// Tiles served so far.
    pub fn served(&self) -> usize {
        self.served.load(Ordering::SeqCst)
    }

    /// A tile: ground, and streets every 64 pixels, shifted per tile.
    fn draw(x: u32, y: u32) -> Vec<u8> {
        const SIZE: u32 = 256;
        let mut pixels = Vec::with_capacity((SIZE * SIZE * 3) as usize);
        let shift = (x * 7 + y * 13) % 64;
        for row in 0..SIZE {
            for col in 0..SIZE {
                let street = (row + shift) % 64 < 6 || (col + shift) % 64 < 6;
                pixels.extend_from_slice(if street {
                    &[255, 255, 255]
                } else {
                    &[226, 232, 214]
                });
            }
        }
        let mut png = Vec::new();
        let mut encoder = png::Encoder::new(&mut png, SIZE, SIZE);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("a PNG header");
        writer.write_image_data(&pixels).expect("a PNG image");
        writer.finish().expect("a whole PNG");
        png
    }
}

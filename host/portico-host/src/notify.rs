//! How notifications leave the portal: e-mail over SMTP (lettre) and text
//! messages through an HTTP SMS gateway. Both are optional; a portal
//! without one refuses to queue messages it could never send. Credentials
//! (in the SMTP URL, the gateway token) are never logged.

use std::str::FromStr;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How long one attempt to hand a message over may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// Sends e-mail through one SMTP server.
pub struct EmailSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    server: String,
}

impl std::fmt::Debug for EmailSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailSender")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl EmailSender {
    /// A sender through the server at `url` (`smtp://host:port` for a relay
    /// on the local network, `smtps://user:password@host` or
    /// `smtp://…?tls=required` for one that needs TLS), sending as `from`
    /// (`Portal <noreply@city.example>`).
    pub fn new(url: &str, from: &str) -> Result<EmailSender, String> {
        // Host and port only: the URL may hold a user name and password.
        let server = reqwest::Url::parse(url)
            .ok()
            .and_then(|u| {
                let host = u.host_str()?.to_owned();
                Some(u.port().map_or(host.clone(), |p| format!("{host}:{p}")))
            })
            .unwrap_or_default();
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("`--smtp-url` is not a usable SMTP URL ({server}): {e}"))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let from = Mailbox::from_str(from)
            .map_err(|e| format!("`--mail-from` `{from}` is not an e-mail address: {e}"))?;
        Ok(EmailSender {
            transport,
            from,
            server,
        })
    }

    /// The server's host and port, for logs.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Sends one plain-text e-mail; `id` becomes part of its Message-ID.
    pub async fn send(&self, to: &str, subject: &str, body: &str, id: &str) -> Result<(), String> {
        let to = Mailbox::from_str(to).map_err(|e| format!("`{to}` is not an address: {e}"))?;
        let domain = self.from.email.domain().to_owned();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{id}@{domain}>")))
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| format!("cannot build the e-mail: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(drop)
            .map_err(|e| format!("the SMTP server {} refused or failed: {e}", self.server))
    }
}

/// Sends text messages through an HTTP gateway: a `POST` of
/// `{"to": "+420…", "text": "…", "reference": "<notification id>"}` as
/// JSON, with `Authorization: Bearer <token>` when a token is set. Any 2xx
/// answer means the gateway took the message.
pub struct SmsGateway {
    client: reqwest::Client,
    url: reqwest::Url,
    token: Option<String>,
}

impl std::fmt::Debug for SmsGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsGateway")
            .field("url", &self.url.as_str())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl SmsGateway {
    /// A gateway at `url` (http or https).
    pub fn new(url: &str, token: Option<String>) -> Result<SmsGateway, String> {
        let url = reqwest::Url::parse(url)
            .map_err(|e| format!("`--sms-gateway-url` `{url}` is not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || !url.username().is_empty() {
            return Err(
                "`--sms-gateway-url` must be an http(s) URL without credentials; give the token with `--sms-gateway-token`"
                    .into(),
            );
        }
        let client = reqwest::Client::builder()
            .timeout(SEND_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(SmsGateway { client, url, token })
    }

    /// Hands one text message to the gateway.
    pub async fn send(&self, to: &str, text: &str, reference: &str) -> Result<(), String> {
        let mut request = self.client.post(self.url.clone()).json(&serde_json::json!({
            "to": to,
            "text": text,
            "reference": reference,
        }));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let host = self.url.host_str().unwrap_or("");
        let response = request.send().await.map_err(|e| {
            format!(
                "the SMS gateway {host} cannot be reached: {}",
                e.without_url()
            )
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        let body: String = body.chars().take(200).collect();
        Err(format!(
            "the SMS gateway {host} answered {status}: {}",
            body.trim()
        ))
    }
}

/// The ways out this portal has.
#[derive(Debug, Default)]
pub struct Senders {
    /// E-mail, when an SMTP server is configured.
    pub email: Option<EmailSender>,
    /// SMS, when a gateway is configured.
    pub sms: Option<SmsGateway>,
}

/// Whether `phone` is a number in international form: `+`, then 8 to 15
/// digits (spaces allowed between them).
pub fn normalize_phone(phone: &str) -> Option<String> {
    let rest = phone.trim().strip_prefix('+')?;
    let digits: String = rest.chars().filter(|c| *c != ' ').collect();
    let ok = (8..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    ok.then(|| format!("+{digits}"))
}

/// Whether `address` is an e-mail address lettre can send to.
pub fn check_email(address: &str) -> Result<String, String> {
    lettre::Address::from_str(address.trim())
        .map(|a| a.to_string())
        .map_err(|e| format!("`{address}` is not an e-mail address: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_in_international_form() {
        assert_eq!(
            normalize_phone("+420 601 234 567").as_deref(),
            Some("+420601234567")
        );
        assert_eq!(normalize_phone("601234567"), None);
        assert_eq!(normalize_phone("+420-601"), None);
        assert_eq!(normalize_phone("+0123456789"), None);
    }

    #[test]
    fn gateway_debug_hides_the_token() {
        let g = SmsGateway::new("http://127.0.0.1:9/sms", Some("s3cret".into()))
            .expect("a valid gateway");
        assert!(!format!("{g:?}").contains("s3cret"));
    }

    #[test]
    fn smtp_server_is_named_without_credentials() {
        let s = EmailSender::new(
            "smtp://user:pa55@127.0.0.1:2525",
            "Portal <portal@example.cz>",
        )
        .expect("a valid sender");
        assert_eq!(s.server(), "127.0.0.1:2525");
        assert!(!format!("{s:?}").contains("pa55"));
    }
}

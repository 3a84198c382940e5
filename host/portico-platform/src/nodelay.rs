//! `TCP_NODELAY` on the connections to PostgreSQL.
//!
//! sqlx 0.9.0 opens its TCP connections without `TCP_NODELAY` (sqlx issue
//! 4335; the fix, pull request 4336, is not in a release Portico can use).
//! Without it, a statement whose message ends in a partly filled TCP
//! segment waits for the server's delayed acknowledgement, 40 ms on Linux:
//! a 200,000-line import on PostgreSQL spent 20 of its 37 seconds so, and
//! across a network any statement longer than one segment (a document of
//! 2 KB) pays it. Until sqlx sets the option again, each new connection
//! sets it on this process's TCP sockets to the database's port.
//!
//! Linux only (it reads `/proc/self/fd`); elsewhere nothing changes.

/// Sets `TCP_NODELAY` on every TCP socket of this process whose peer
/// listens on `port`, on whichever host (the option only ever helps a
/// connection that sends requests and waits for answers).
pub(crate) fn towards_port(port: u16) {
    each_socket(|socket| {
        if port_of(socket.peer_addr()) == Some(port)
            && socket.r#type().ok() == Some(socket2::Type::STREAM)
        {
            // A socket that refuses keeps sending as before.
            let _ = socket.set_tcp_nodelay(true);
        }
        false
    });
}

/// Whether the socket of this process whose local port is `local` has
/// `TCP_NODELAY` set; `None` when there is no such socket.
pub fn is_set_on_local_port(local: u16) -> Option<bool> {
    let mut found = None;
    each_socket(|socket| {
        let here = port_of(socket.local_addr()) == Some(local);
        if here {
            found = socket.tcp_nodelay().ok();
        }
        here
    });
    found
}

/// The port of an internet socket's address.
fn port_of(address: std::io::Result<socket2::SockAddr>) -> Option<u16> {
    address.ok()?.as_socket().map(|a| a.port())
}

/// Calls `f` with each socket this process has open, until it says stop.
#[cfg(target_os = "linux")]
fn each_socket(mut f: impl FnMut(socket2::SockRef<'_>) -> bool) {
    use std::os::fd::{BorrowedFd, RawFd};

    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    for entry in dir.flatten() {
        let is_socket = std::fs::read_link(entry.path())
            .is_ok_and(|target| target.to_string_lossy().starts_with("socket:"));
        let fd = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<RawFd>().ok());
        let Some(fd) = fd.filter(|_| is_socket) else {
            continue;
        };
        // SAFETY: the descriptor was open when listed, and is borrowed only
        // for the few calls `f` makes. Should another thread close it and
        // its number be reused meanwhile, the calls reach that descriptor
        // instead: one that is not a TCP socket towards the database fails
        // them or is left as it is.
        #[allow(unsafe_code)]
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        if f(socket2::SockRef::from(&fd)) {
            return;
        }
    }
}

/// Elsewhere than on Linux, no socket is listed.
#[cfg(not(target_os = "linux"))]
fn each_socket(_f: impl FnMut(socket2::SockRef<'_>) -> bool) {}

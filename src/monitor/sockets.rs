//! The target's TCP sockets by state on its port, and the machine's
//! listen-queue overflows: a server that cannot accept fast enough shows
//! as connections dropped at the accept queue (`ListenOverflows`,
//! `ListenDrops`) before it shows anywhere else, and one that does not close
//! what its peers closed piles up `CLOSE_WAIT`.
//!
//! Read from `/proc/net/tcp` and `/proc/net/tcp6` (the network namespace of
//! the reader, which is the target's for any target loadtop can reach on
//! loopback) and `/proc/net/netstat`.

use std::fs;

/// Sockets on one local port, by state. The listening socket is not counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SocketStates {
    pub established: u32,
    pub time_wait: u32,
    pub close_wait: u32,
    /// Any other state but listening (SYN_RECV, FIN_WAIT, LAST_ACK, …).
    pub other: u32,
}

/// State codes of `/proc/net/tcp` (include/net/tcp_states.h).
const ESTABLISHED: u8 = 0x01;
const TIME_WAIT: u8 = 0x06;
const CLOSE_WAIT: u8 = 0x08;
const LISTEN: u8 = 0x0A;

/// Sockets whose local port is `port`, from both address families.
/// `None` when neither table can be read.
pub fn socket_states(port: u16) -> Option<SocketStates> {
    let mut states = SocketStates::default();
    let mut read_any = false;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = fs::read_to_string(table) {
            read_any = true;
            count_port(&text, port, &mut states);
        }
    }
    read_any.then_some(states)
}

/// Adds the rows of one table whose local port is `port`.
fn count_port(table: &str, port: u16, states: &mut SocketStates) {
    for row in table.lines().skip(1) {
        let mut fields = row.split_whitespace();
        // "sl", then "local:port" in hex, then the remote, then the state.
        let (Some(_), Some(local), Some(_), Some(state)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let local_port = local
            .rsplit_once(':')
            .and_then(|(_, hex)| u16::from_str_radix(hex, 16).ok());
        if local_port != Some(port) {
            continue;
        }
        match u8::from_str_radix(state, 16) {
            Ok(ESTABLISHED) => states.established += 1,
            Ok(TIME_WAIT) => states.time_wait += 1,
            Ok(CLOSE_WAIT) => states.close_wait += 1,
            Ok(LISTEN) | Err(_) => {}
            Ok(_) => states.other += 1,
        }
    }
}

/// The machine's cumulative accept-queue counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ListenQueue {
    /// Connections that found a listener's accept queue full.
    pub overflows: u64,
    /// Connections dropped at a listener for any reason (overflows included).
    pub drops: u64,
}

impl ListenQueue {
    /// The counters now; `None` where `/proc/net/netstat` cannot be read.
    pub fn read() -> Option<ListenQueue> {
        parse_netstat(&fs::read_to_string("/proc/net/netstat").ok()?)
    }

    /// What was counted since `earlier`.
    pub fn since(&self, earlier: &ListenQueue) -> ListenQueue {
        ListenQueue {
            overflows: self.overflows.saturating_sub(earlier.overflows),
            drops: self.drops.saturating_sub(earlier.drops),
        }
    }
}

/// `TcpExt` comes as two lines, the names and then the values.
fn parse_netstat(netstat: &str) -> Option<ListenQueue> {
    let mut lines = netstat.lines();
    while let Some(line) = lines.next() {
        let Some(names) = line.strip_prefix("TcpExt:") else {
            continue;
        };
        let values = lines.next()?.strip_prefix("TcpExt:")?;
        let value_of = |wanted: &str| {
            names
                .split_whitespace()
                .zip(values.split_whitespace())
                .find(|(name, _)| *name == wanted)
                .and_then(|(_, value)| value.parse().ok())
        };
        return Some(ListenQueue {
            overflows: value_of("ListenOverflows")?,
            drops: value_of("ListenDrops")?,
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};

    const TABLE: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1
   2: 0100007F:1F90 0100007F:C351 06 00000000:00000000 00:00000000 00000000     0        0 0 1
   3: 0100007F:1F90 0100007F:C352 08 00000000:00000000 00:00000000 00000000     0        0 3 1
   4: 0100007F:1F90 0100007F:C353 03 00000000:00000000 00:00000000 00000000     0        0 4 1
   5: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 5 1
";

    #[test]
    fn rows_on_the_port_count_by_state_and_the_listener_and_peers_do_not() {
        let mut states = SocketStates::default();
        count_port(TABLE, 8080, &mut states);
        assert_eq!(
            states,
            SocketStates {
                established: 1,
                time_wait: 1,
                close_wait: 1,
                other: 1,
            }
        );
    }

    #[test]
    fn netstat_counters_are_found_by_name() {
        let netstat = "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n\
                       TcpExt: 0 12 15\n\
                       IpExt: InNoRoutes\nIpExt: 0\n";
        let queue = parse_netstat(netstat).unwrap();
        assert_eq!(
            queue,
            ListenQueue {
                overflows: 12,
                drops: 15
            }
        );
        let later = ListenQueue {
            overflows: 20,
            drops: 30,
        };
        assert_eq!(
            later.since(&queue),
            ListenQueue {
                overflows: 8,
                drops: 15
            }
        );
        assert_eq!(parse_netstat("IpExt: a\nIpExt: 1\n"), None);
        assert!(ListenQueue::read().is_some(), "this machine has /proc");
    }

    #[test]
    fn a_real_loopback_connection_shows_established_then_close_wait() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (mut accepted, _) = listener.accept().unwrap();
        let states = socket_states(port).unwrap();
        assert_eq!(states.established, 1, "{states:?}");
        // The client closes; the server's socket waits for the server to close.
        drop(client);
        let mut buf = [0u8; 1];
        assert_eq!(accepted.read(&mut buf).unwrap(), 0);
        let states = socket_states(port).unwrap();
        assert_eq!(
            (states.established, states.close_wait),
            (0, 1),
            "{states:?}"
        );
    }
}

//! The child's side of the lifeline: its stdin is a pipe from the parent
//! loadtop, on which nothing is ever written, so a read returns only when
//! the parent is gone (EOF) or the pipe broke; the kernel closes it however
//! the parent ends, SIGKILL included.

use std::io::Read;

/// Calls `gone` on a thread named `thread` once the parent's end of stdin
/// closes. False when the thread could not be started: nothing watches.
pub fn watch_parent(thread: &str, gone: impl FnOnce() + Send + 'static) -> bool {
    std::thread::Builder::new()
        .name(thread.into())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buf = [0u8; 64];
            // Any return is EOF or an error, and either means the parent is gone.
            while let Ok(n) = stdin.read(&mut buf) {
                if n == 0 {
                    break;
                }
            }
            gone();
        })
        .is_ok()
}

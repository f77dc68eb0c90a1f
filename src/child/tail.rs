//! The last lines a child wrote, kept so that its death can be explained.
//! The pipe is always drained, so the child never blocks on a full buffer.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::sync::{Arc, Mutex, PoisonError};

/// A shared ring of a child's last output lines (blank ones skipped).
#[derive(Clone, Debug)]
pub struct Tail {
    lines: Arc<Mutex<VecDeque<String>>>,
    keep: usize,
    /// Longer lines are cut to this many characters.
    width: Option<usize>,
}

impl Tail {
    pub fn new(keep: usize, width: Option<usize>) -> Self {
        Tail {
            lines: Arc::new(Mutex::new(VecDeque::new())),
            keep,
            width,
        }
    }

    /// Drains `pipe` on a thread named `thread` into this tail.
    pub fn drain(&self, pipe: impl Read + Send + 'static, thread: &str) {
        let tail = self.clone();
        let _ = std::thread::Builder::new()
            .name(thread.into())
            .spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    tail.push(&line);
                }
            });
    }

    fn push(&self, line: &str) {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        let line = match self.width {
            Some(width) => line.chars().take(width).collect(),
            None => line.to_string(),
        };
        let mut lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        if lines.len() == self.keep {
            lines.pop_front();
        }
        lines.push_back(line);
    }

    pub fn last(&self) -> Option<String> {
        let lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        lines.back().cloned()
    }

    /// Every kept line, oldest first, joined by `separator` (`None` if none).
    pub fn joined(&self, separator: &str) -> Option<String> {
        let lines = self.lines.lock().unwrap_or_else(PoisonError::into_inner);
        if lines.is_empty() {
            return None;
        }
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        Some(lines.join(separator))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines_trimmed_and_cut() {
        let tail = Tail::new(2, Some(5));
        for line in ["one", "  ", "two  ", "three and more"] {
            tail.push(line);
        }
        assert_eq!(tail.joined(" | ").as_deref(), Some("two | three"));
        assert_eq!(tail.last().as_deref(), Some("three"));
        assert_eq!(Tail::new(1, None).joined(" | "), None);
    }
}

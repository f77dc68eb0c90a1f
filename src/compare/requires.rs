//! The `requires` check of a compare target: every listed program must be
//! on PATH, or the target is skipped with a note that says how to install
//! what is missing. A missing runtime is a note, never an error.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// `Some(note)` naming the first program not found, with an install hint.
pub fn missing(programs: &[String]) -> Option<String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let absent = programs.iter().find(|p| !on_path(p, &path))?;
    let hint = install_hint(absent).map_or_else(String::new, |h| format!(" ({h})"));
    Some(format!("`{absent}` not found on PATH{hint}"))
}

fn on_path(program: &str, path: &std::ffi::OsStr) -> bool {
    if program.contains('/') {
        return is_executable(Path::new(program));
    }
    std::env::split_paths(path).any(|dir| is_executable(&dir.join(program)))
}

fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn install_hint(program: &str) -> Option<&'static str> {
    Some(match program {
        "go" => "apt-get install golang-go",
        "node" => "apt-get install nodejs",
        "python3" => "apt-get install python3",
        "flask" => "pip install flask",
        "gunicorn" => "pip install gunicorn flask",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn present_programs_pass_and_missing_ones_say_how_to_install() {
        assert_eq!(missing(&["sh".into()]), None);
        assert_eq!(missing(&[]), None);
        assert_eq!(missing(&["/bin/sh".into()]), None);
        let note = missing(&["sh".into(), "definitely-not-a-program-xyz".into()]).unwrap();
        assert_eq!(note, "`definitely-not-a-program-xyz` not found on PATH");
        assert!(!on_path("go", std::ffi::OsStr::new("/nonexistent")));
        assert_eq!(install_hint("go"), Some("apt-get install golang-go"));
    }
}

//! Fixes, ruff's model: a diagnostic may carry a [`Fix`], a set of [`Edit`]s of its file with
//! an [`Applicability`] that says when `--fix` may apply it.

use std::io::Read;

use ruff_text_size::TextRange;

/// A replacement of a byte range of a source text.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Edit {
    pub range: TextRange,
    pub content: String,
}

impl Edit {
    pub fn apply(&self, source: &str) -> String {
        let mut out = source.to_string();
        out.replace_range(std::ops::Range::<usize>::from(self.range), &self.content);
        out
    }
}

/// When a fix may be applied, as ruff names it.
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Applicability {
    /// Shown, never applied (a fix that needs a person's judgement).
    DisplayOnly,
    /// Applied with `--unsafe-fixes`: it may change what the program does.
    Unsafe,
    /// Applied by `--fix`: what the program does stays the same.
    Safe,
}

impl Applicability {
    /// The name ruff's JSON output uses (`"safe"`, `"unsafe"`, `"display-only"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

/// Edits of one file that resolve a diagnostic, and what they do ("Use a Jinja template").
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fix {
    pub applicability: Applicability,
    pub message: String,
    /// Sorted by range, none overlapping.
    pub edits: Vec<Edit>,
}

impl Fix {
    /// Whether `--fix` applies it: a safe fix always, an unsafe one with `--unsafe-fixes`,
    /// a display-only one never.
    pub fn applies(&self, unsafe_fixes: bool) -> bool {
        match self.applicability {
            Applicability::Safe => true,
            Applicability::Unsafe => unsafe_fixes,
            Applicability::DisplayOnly => false,
        }
    }
}

/// `source` with `edits` applied; edits that overlap one applied before them are left out
/// (so one pass never garbles a file), and their count is returned beside the text.
pub fn apply_edits(source: &str, edits: &[Edit]) -> (String, usize) {
    let mut sorted: Vec<&Edit> = edits.iter().collect();
    sorted.sort_by_key(|edit| (edit.range.start(), edit.range.end()));
    let mut out = String::with_capacity(source.len());
    let mut last = 0usize;
    let mut skipped = 0;
    for edit in sorted {
        let range = std::ops::Range::<usize>::from(edit.range);
        let fits = range.start >= last
            && range.end <= source.len()
            && source.is_char_boundary(range.start)
            && source.is_char_boundary(range.end);
        if !fits {
            skipped += 1;
            continue;
        }
        out.push_str(&source[last..range.start]);
        out.push_str(&edit.content);
        last = range.end;
    }
    out.push_str(&source[last..]);
    (out, skipped)
}

/// `source` with every fix in `fixes` applied, each whole or not at all: a fix any of whose
/// edits overlaps an edit already taken waits for the next pass (after a re-check), as ruff
/// does. A fix identical to one taken counts as applied. Returns the text and the indices
/// (in `fixes`) of the fixes applied, in order.
pub fn apply_fixes<'a>(
    source: &str,
    fixes: impl IntoIterator<Item = &'a Fix>,
) -> (String, Vec<usize>) {
    let mut sorted: Vec<(usize, &Fix)> = fixes
        .into_iter()
        .enumerate()
        .filter(|(_, f)| !f.edits.is_empty())
        .collect();
    sorted.sort_by_key(|(index, fix)| {
        let first = fix.edits.iter().map(|e| e.range.start()).min();
        (first, fix.edits.iter().map(|e| e.range.end()).max(), *index)
    });
    let mut taken: Vec<&Edit> = Vec::new();
    let mut last: Option<&Fix> = None;
    let mut applied = Vec::new();
    for (index, fix) in sorted {
        if last.is_some_and(|l| l.edits == fix.edits) {
            applied.push(index);
            continue;
        }
        let mut edits: Vec<&Edit> = fix.edits.iter().collect();
        edits.sort_by_key(|e| (e.range.start(), e.range.end()));
        let inside = edits.iter().all(|e| {
            let range = std::ops::Range::<usize>::from(e.range);
            range.end <= source.len()
                && source.is_char_boundary(range.start)
                && source.is_char_boundary(range.end)
        });
        let apart = edits
            .windows(2)
            .all(|w| w[0].range.end() <= w[1].range.start());
        let after = taken
            .last()
            .is_none_or(|t| t.range.end() <= edits[0].range.start() && t.range != edits[0].range);
        if inside && apart && after {
            taken.extend(edits);
            last = Some(fix);
            applied.push(index);
        }
    }
    applied.sort_unstable();
    let owned: Vec<Edit> = taken.into_iter().cloned().collect();
    let (text, _) = apply_edits(source, &owned);
    (text, applied)
}

/// The unified diff (three lines of context) from `before` to `after`, with `name` in
/// the `---` / `+++` lines; empty when they are the same.
pub fn unified_diff(name: &str, before: &str, after: &str) -> String {
    if before == after {
        return String::new();
    }
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(name, name)
        .to_string()
}

/// Why a fixed text was not written back.
#[derive(Debug)]
pub enum WriteError {
    /// The file is not the text that was checked any more (edited meanwhile, or replaced).
    Changed,
    /// The boundary does not admit it, or it is a link or not a regular file.
    Refused(String),
    Io(std::io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Changed => f.write_str("the file changed while it was being checked"),
            WriteError::Refused(why) => f.write_str(why),
            WriteError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Replaces the contents of the file at `path`, which must still be exactly `checked`, with
/// `fixed`, in place (its inode, owner and mode stay). A symbolic link is never written
/// through, nor a file the boundary does not admit: a pull request cannot make a fix write
/// outside the checked tree.
pub fn write_back(
    path: &std::path::Path,
    checked: &str,
    fixed: &str,
    boundary: Option<&crate::read::Boundary>,
) -> Result<(), WriteError> {
    use std::io::{Seek, Write};
    let meta = std::fs::symlink_metadata(path).map_err(WriteError::Io)?;
    if !meta.file_type().is_file() {
        return Err(WriteError::Refused(
            "not a regular file (a symbolic link is never written through)".to_string(),
        ));
    }
    if let Some(boundary) = boundary {
        boundary
            .admits(path)
            .map_err(|_| WriteError::Refused("outside the project".to_string()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let mut file = options.open(path).map_err(WriteError::Io)?;
    let open = file.metadata().map_err(WriteError::Io)?;
    if !open.file_type().is_file() {
        return Err(WriteError::Refused("not a regular file".to_string()));
    }
    let mut now = Vec::with_capacity(checked.len());
    std::io::Read::read_to_end(&mut (&file).take(checked.len() as u64 + 1), &mut now)
        .map_err(WriteError::Io)?;
    if now != checked.as_bytes() {
        return Err(WriteError::Changed);
    }
    file.seek(std::io::SeekFrom::Start(0))
        .map_err(WriteError::Io)?;
    file.write_all(fixed.as_bytes()).map_err(WriteError::Io)?;
    file.set_len(fixed.len() as u64).map_err(WriteError::Io)?;
    file.flush().map_err(WriteError::Io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruff_text_size::TextSize;

    fn edit(start: u32, end: u32, content: &str) -> Edit {
        Edit {
            range: TextRange::new(TextSize::new(start), TextSize::new(end)),
            content: content.to_string(),
        }
    }

    #[test]
    fn edits_apply_in_order_and_overlaps_are_left_out() {
        let source = "abcdef";
        let edits = [edit(4, 5, "E"), edit(0, 2, "AB"), edit(1, 3, "x")];
        assert_eq!(apply_edits(source, &edits), ("ABcdEf".to_string(), 1));
        assert_eq!(
            apply_edits(source, &[edit(6, 6, "!")]),
            ("abcdef!".to_string(), 0)
        );
        assert_eq!(
            apply_edits(source, &[edit(5, 9, "!")]),
            ("abcdef".to_string(), 1)
        );
    }

    fn fix(applicability: Applicability, edits: Vec<Edit>) -> Fix {
        Fix {
            applicability,
            message: "m".to_string(),
            edits,
        }
    }

    #[test]
    fn fixes_apply_whole_or_not_at_all() {
        let source = "abcdef";
        let a = fix(Applicability::Safe, vec![edit(0, 1, "A"), edit(4, 5, "E")]);
        // Overlaps `a`'s second edit: left for the next pass, its first edit too.
        let b = fix(Applicability::Safe, vec![edit(2, 3, "C"), edit(4, 6, "x")]);
        let same = a.clone();
        assert_eq!(
            apply_fixes(source, [&a, &b, &same]),
            ("AbcdEf".to_string(), vec![0, 2])
        );
        let c = fix(Applicability::Safe, vec![edit(5, 6, "F")]);
        assert_eq!(
            apply_fixes(source, [&c, &a]),
            ("AbcdEF".to_string(), vec![0, 1])
        );
        assert_eq!(
            apply_fixes(source, [&fix(Applicability::Safe, vec![edit(5, 9, "!")])]),
            ("abcdef".to_string(), vec![])
        );
        assert!(a.applies(false) && !fix(Applicability::Unsafe, vec![]).applies(false));
        assert!(!fix(Applicability::DisplayOnly, vec![]).applies(true));
    }

    #[test]
    fn diffs_are_unified() {
        assert_eq!(unified_diff("a.py", "x\n", "x\n"), "");
        assert_eq!(
            unified_diff("a.py", "a\nb\nc\n", "a\nB\nc\n"),
            "--- a.py\n+++ a.py\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"
        );
    }

    #[test]
    fn write_back_checks_the_text_and_never_follows_links() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.py");
        std::fs::write(&file, "x = 1\n").unwrap();
        write_back(&file, "x = 1\n", "y\n", None).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "y\n");
        assert!(matches!(
            write_back(&file, "x = 1\n", "z\n", None),
            Err(WriteError::Changed)
        ));
        #[cfg(unix)]
        {
            let link = dir.path().join("link.py");
            std::os::unix::fs::symlink(&file, &link).unwrap();
            assert!(matches!(
                write_back(&link, "y\n", "z\n", None),
                Err(WriteError::Refused(_))
            ));
            assert_eq!(std::fs::read_to_string(&file).unwrap(), "y\n");
        }
    }
}

//! Colour for the formats a person reads on a terminal (full, concise, grouped), in the
//! styles ruff uses: the path bold, separators cyan, the code bold red. Only our own
//! styles are written: every piece of text from the checked tree is already escaped
//! ([`super::escape::terminal`]) before it is styled, so a file cannot send escape
//! sequences of its own.

use anstyle::{AnsiColor, Style};

/// Whether to colour, and the styles used when it does.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Palette {
    pub enabled: bool,
}

const PATH: Style = Style::new().bold();
const SEPARATOR: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)));
const CODE: Style = Style::new()
    .bold()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));

impl Palette {
    pub fn new(enabled: bool) -> Palette {
        Palette { enabled }
    }

    fn paint(self, style: Style, text: &str) -> String {
        if self.enabled {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    /// A file's path (already escaped by [`super::Paths::display`]).
    pub fn path(self, text: &str) -> String {
        self.paint(PATH, text)
    }

    /// The `:` between a path, its row and its column.
    pub fn separator(self) -> String {
        self.paint(SEPARATOR, ":")
    }

    /// A rule's code.
    pub fn code(self, text: &str) -> String {
        self.paint(CODE, text)
    }
}

/// `--color`: `auto` colours when standard output is a terminal, unless `NO_COLOR` or
/// `FORCE_COLOR` says otherwise.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal (and `NO_COLOR` is unset or empty, or `FORCE_COLOR`
    /// is set and not empty).
    #[default]
    Auto,
    /// Always colour the human-readable formats.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Whether output is coloured. Precedence, as no-color.org puts it ("a command-line
    /// flag may turn colour back on"): the flag, then a non-empty `NO_COLOR`, then a
    /// non-empty `FORCE_COLOR`, then whether the output is a terminal (`to_terminal`:
    /// standard output, not `-o FILE`).
    pub fn resolve(
        self,
        no_color: Option<&std::ffi::OsStr>,
        force_color: Option<&std::ffi::OsStr>,
        to_terminal: bool,
    ) -> bool {
        let set = |value: Option<&std::ffi::OsStr>| value.is_some_and(|v| !v.is_empty());
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto if set(no_color) => false,
            ColorChoice::Auto if set(force_color) => true,
            ColorChoice::Auto => to_terminal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn the_flag_wins_then_no_color_then_force_color_then_the_terminal() {
        let one = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        assert!(ColorChoice::Always.resolve(one, None, false));
        assert!(!ColorChoice::Never.resolve(None, one, true));
        assert!(!ColorChoice::Auto.resolve(one, one, true));
        assert!(ColorChoice::Auto.resolve(empty, one, false));
        assert!(!ColorChoice::Auto.resolve(None, empty, false));
        assert!(ColorChoice::Auto.resolve(None, None, true));
        assert!(!ColorChoice::Auto.resolve(None, None, false));
    }

    #[test]
    fn styles_are_ruffs_and_plain_when_off() {
        let on = Palette::new(true);
        assert_eq!(on.path("a.py"), "\u{1b}[1ma.py\u{1b}[0m");
        assert_eq!(on.separator(), "\u{1b}[36m:\u{1b}[0m");
        assert_eq!(on.code("DS101"), "\u{1b}[1m\u{1b}[31mDS101\u{1b}[0m");
        let off = Palette::default();
        assert_eq!(off.code("DS101"), "DS101");
    }
}

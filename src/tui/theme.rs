//! Styles for every widget, in one place so `NO_COLOR` is honoured
//! everywhere: with it set, colours disappear and series stay apart by their
//! glyphs (Braille, `•`, `┈`, `░`) and emphasis by bold and reverse video.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders};

#[derive(Clone, Copy, Debug)]
pub struct Theme {
    no_color: bool,
}

impl Theme {
    pub fn new(no_color: bool) -> Self {
        Theme { no_color }
    }

    /// A foreground colour, or nothing under `NO_COLOR`.
    pub fn fg(&self, color: Color) -> Style {
        if self.no_color {
            Style::default()
        } else {
            Style::default().fg(color)
        }
    }

    /// The colour a chart series is drawn with; `Reset` under `NO_COLOR`.
    pub fn series(&self, color: Color) -> Color {
        if self.no_color { Color::Reset } else { color }
    }

    pub fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn label(&self) -> Style {
        if self.no_color {
            Style::default()
        } else {
            Style::default().fg(Color::Gray)
        }
    }

    pub fn dim(&self) -> Style {
        Style::default().add_modifier(Modifier::DIM)
    }

    pub fn value(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    /// A flag that must catch the eye (PAUSED, HELD, shedding ON).
    pub fn flag(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::default()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        }
    }

    /// A line saying the numbers cannot be trusted.
    pub fn banner(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::default()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD)
        }
    }

    pub fn hint(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default().fg(Color::Black).bg(Color::Cyan)
        }
    }

    pub fn good(&self) -> Style {
        self.fg(Color::Green).add_modifier(Modifier::BOLD)
    }

    pub fn bad(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::default()
                .fg(Color::LightRed)
                .add_modifier(Modifier::BOLD)
        }
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn key(&self) -> Style {
        if self.no_color {
            Style::default().add_modifier(Modifier::BOLD)
        } else {
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        }
    }

    pub fn border(&self) -> Style {
        self.fg(Color::DarkGray)
    }

    pub fn gauge(&self) -> Style {
        self.fg(Color::Green)
    }
}

/// Series colours, one per meaning, used by charts and their legends alike.
pub mod colors {
    use ratatui::style::Color;

    pub const ACHIEVED: Color = Color::LightGreen;
    pub const TARGET_RATE: Color = Color::Gray;
    pub const P99: Color = Color::LightRed;
    pub const P50: Color = Color::LightCyan;
    pub const TARGET_PROCESS: Color = Color::Yellow;
    pub const GENERATOR: Color = Color::LightBlue;
    pub const DATABASE: Color = Color::LightMagenta;
    pub const SYSTEM: Color = Color::DarkGray;
    pub const STAGE_MARK: Color = Color::Magenta;
    pub const ERRORS: Color = Color::Red;
}

/// A panel's border and title in the theme's colours.
pub fn panel_block(title: &str, theme: Theme) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(format!(" {title} "), theme.title()))
}

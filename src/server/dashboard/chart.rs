//! Line charts as SVG, drawn on the server.
//!
//! Hand-drawn rather than with `plotters`: its SVG backend lays text out with a font
//! backend (system fonts or an embedded TTF through `ab_glyph`), which the brief rules out,
//! and a line chart with a legend is about a hundred lines. Text is left to the browser
//! (`<text>`), colours are presentation attributes (the CSP allows no inline style), and
//! every series carries `data-series`/`data-total` so tests and scripts can read it.

use maud::{html, Markup};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 28.0;
/// Colours of the series, in order (then repeated).
const PALETTE: [&str; 8] = [
    "#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#65a30d", "#db2777",
];

/// One line: its label and a value per x position.
#[derive(Debug, Clone)]
pub struct Series {
    /// What the legend says.
    pub label: String,
    /// One value per x label.
    pub values: Vec<f64>,
}

/// A line chart of `series` over `x_labels` (the first, middle and last label are shown).
pub fn line_chart(title: &str, unit: &str, x_labels: &[String], series: &[Series]) -> Markup {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0_f64, f64::max);
    let top = nice_ceiling(max);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let n = x_labels.len().max(1);
    let x = |i: usize| match n {
        1 => LEFT + plot_w / 2.0,
        _ => LEFT + plot_w * i as f64 / (n - 1) as f64,
    };
    let y = |v: f64| TOP + plot_h * (1.0 - v / top);
    let shown_labels: Vec<usize> = match n {
        1 => vec![0],
        2 => vec![0, 1],
        _ => vec![0, n / 2, n - 1],
    };
    html! {
        figure.chart data-chart=(title) {
            figcaption { (title) }
            svg xmlns="http://www.w3.org/2000/svg" viewBox=(format!("0 0 {WIDTH} {HEIGHT}"))
                role="img" aria-label=(title) {
                @for step in 0..=4 {
                    @let v = top * f64::from(step) / 4.0;
                    line x1=(LEFT) x2=(WIDTH - RIGHT) y1=(y(v)) y2=(y(v)) stroke="#e5e7eb" {}
                    text x=(LEFT - 6.0) y=(y(v) + 4.0) text-anchor="end" font-size="11" fill="#6b7280" { (number(v)) }
                }
                text x="4" y=(TOP - 4.0) font-size="11" fill="#6b7280" { (unit) }
                @for i in &shown_labels {
                    @if let Some(label) = x_labels.get(*i) {
                        text x=(x(*i)) y=(HEIGHT - 8.0) text-anchor="middle" font-size="11" fill="#6b7280" { (label) }
                    }
                }
                @for (k, s) in series.iter().enumerate() {
                    @let colour = PALETTE[k % PALETTE.len()];
                    @let points = s.values.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", x(i), y(*v))).collect::<Vec<_>>().join(" ");
                    g.series data-series=(s.label) data-total=(number(s.values.iter().sum())) {
                        title { (s.label) }
                        polyline points=(points) fill="none" stroke=(colour) stroke-width="2" {}
                        @for (i, v) in s.values.iter().enumerate() {
                            @if *v > 0.0 {
                                circle cx=(format!("{:.1}", x(i))) cy=(format!("{:.1}", y(*v))) r="2.5" fill=(colour) {
                                    title { (s.label) ": " (number(*v)) }
                                }
                            }
                        }
                    }
                }
            }
            ul.legend {
                @for (k, s) in series.iter().enumerate() {
                    li data-series=(s.label) {
                        svg xmlns="http://www.w3.org/2000/svg" width="12" height="12" viewBox="0 0 12 12" {
                            rect width="12" height="12" fill=(PALETTE[k % PALETTE.len()]) {}
                        }
                        " " (s.label) " (" (number(s.values.iter().sum())) ")"
                    }
                }
            }
        }
    }
}

/// A round number at or above `max` for the top of the axis (1 for an empty chart).
fn nice_ceiling(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|v| *v >= max)
        .unwrap_or(max)
}

/// A number without needless decimals.
pub fn number(v: f64) -> String {
    match v.fract() == 0.0 && v.abs() < 1e15 {
        true => format!("{}", v as i64),
        false => format!("{v:.1}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(3.0), 5.0);
        assert_eq!(nice_ceiling(120.0), 200.0);
        assert_eq!(number(2.0), "2");
        assert_eq!(number(2.25), "2.2");
    }

    #[test]
    fn charts_escape_labels_and_carry_totals() {
        let svg = line_chart(
            "Requests",
            "requests",
            &["12:00".into(), "12:01".into()],
            &[Series {
                label: "<b>".into(),
                values: vec![1.0, 2.0],
            }],
        )
        .into_string();
        assert!(svg.contains("data-series=\"&lt;b&gt;\""));
        assert!(svg.contains("data-total=\"3\""));
        assert!(!svg.contains("style="));
    }
}

//! A bar chart of numbers as a real PNG: a white canvas, grey axes and one blue bar per
//! value, scaled so the largest value fills the plot's height (negative values are drawn
//! as zero-height bars).

use super::picture::png_of_pixels;

/// The chart's size in pixels.
const WIDTH: u32 = 640;
const HEIGHT: u32 = 480;
/// Space around the plot.
const MARGIN: u32 = 48;

/// A PNG bar chart of `values` (an empty chart with axes when there are none).
pub fn bar_chart(values: &[f64]) -> Vec<u8> {
    let mut pixels = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    let mut paint = |x0: u32, y0: u32, x1: u32, y1: u32, colour: [u8; 3]| {
        for y in y0.min(HEIGHT)..y1.min(HEIGHT) {
            for x in x0.min(WIDTH)..x1.min(WIDTH) {
                let at = ((y * WIDTH + x) * 3) as usize;
                pixels[at..at + 3].copy_from_slice(&colour);
            }
        }
    };
    let (left, bottom) = (MARGIN, HEIGHT - MARGIN);
    let (plot_width, plot_height) = (WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN);
    let largest = values.iter().copied().fold(0.0_f64, f64::max);
    if !values.is_empty() {
        let slot = plot_width / values.len() as u32;
        let gap = (slot / 5).max(1);
        for (index, value) in values.iter().enumerate() {
            let share = if largest > 0.0 && value.is_finite() {
                (value.max(0.0) / largest).min(1.0)
            } else {
                0.0
            };
            let bar = (share * f64::from(plot_height)).round() as u32;
            let x0 = left + slot * index as u32 + gap;
            paint(
                x0,
                bottom - bar,
                x0 + slot - 2 * gap,
                bottom,
                [76, 114, 176],
            );
        }
    }
    paint(left - 2, MARGIN, left, bottom + 2, [80, 80, 80]);
    paint(left - 2, bottom, WIDTH - MARGIN, bottom + 2, [80, 80, 80]);
    png_of_pixels(WIDTH, HEIGHT, false, &pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_is_a_png_of_the_chart_size() {
        let png = bar_chart(&[3.0, 7.0, -1.0, 5.5]);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_eq!(&png[16..24], &[0, 0, 2, 128, 0, 0, 1, 224]);
        assert!(!bar_chart(&[]).is_empty());
    }
}

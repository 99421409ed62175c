//! Images: [`Picture`], a vertical two-colour gradient, and its PNG, JPEG and WebP files.
//!
//! Every format draws the same pixels ([`Picture::row_colour`] for each row): PNG with the
//! `png` crate (adaptive row filters and zlib's default level, so a 1024x1024 gradient
//! takes about 6 KB), JPEG with `jpeg-encoder` (quality 85, 4:2:0 chroma) and lossless WebP
//! with `image-webp`.

use super::Media;

/// A vertical gradient from `top` to `bottom` (RGBA colours).
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    /// Width in pixels (at least 1).
    pub width: u32,
    /// Height in pixels (at least 1).
    pub height: u32,
    /// The colour of the first row.
    pub top: [u8; 4],
    /// The colour of the last row.
    pub bottom: [u8; 4],
    /// Whether the image keeps an alpha channel (PNG and WebP); JPEG never does.
    pub alpha: bool,
}

impl Picture {
    /// A one-colour opaque picture.
    pub fn solid(width: u32, height: u32, colour: [u8; 4]) -> Picture {
        Picture {
            width,
            height,
            top: colour,
            bottom: colour,
            alpha: false,
        }
    }

    /// The colour of row `y`.
    pub fn row_colour(&self, y: u32) -> [u8; 4] {
        let span = self.height.saturating_sub(1).max(1) as i32;
        let y = y.min(self.height.saturating_sub(1)) as i32;
        let mut out = [0u8; 4];
        for (c, value) in out.iter_mut().enumerate() {
            let (a, b) = (self.top[c] as i32, self.bottom[c] as i32);
            *value = (a + (b - a) * y / span) as u8;
        }
        out
    }

    /// The pixels, row by row: RGB, or RGBA with `alpha`, for a `width` x `height` image
    /// (each side at least 1 and at most `max_side`).
    fn pixels(&self, alpha: bool, max_side: u32) -> (u32, u32, Vec<u8>) {
        let (width, height) = (
            self.width.clamp(1, max_side),
            self.height.clamp(1, max_side),
        );
        let channels = if alpha { 4 } else { 3 };
        let mut out = Vec::with_capacity(width as usize * height as usize * channels);
        for y in 0..height {
            let colour = self.row_colour(y);
            for _ in 0..width {
                out.extend_from_slice(&colour[..channels]);
            }
        }
        (width, height, out)
    }
}

/// `picture` encoded as `png`, `jpeg` or `webp` (PNG when unknown).
pub fn image(format: &str, picture: &Picture) -> Media {
    match format {
        "jpeg" | "jpg" => Media {
            content_type: "image/jpeg",
            bytes: jpeg(picture),
        },
        "webp" => Media {
            content_type: "image/webp",
            bytes: webp(picture),
        },
        _ => Media {
            content_type: "image/png",
            bytes: png(picture),
        },
    }
}

/// `picture` as an 8-bit RGB (or RGBA when `alpha`) PNG.
///
/// zlib's default level (6) with adaptive filters: the filtered rows of a gradient are runs
/// of zeros, and level 9 only makes them slower, not smaller.
pub fn png(picture: &Picture) -> Vec<u8> {
    let (width, height, pixels) = picture.pixels(picture.alpha, u32::MAX);
    png_of_pixels(width, height, picture.alpha, &pixels)
}

/// A `width` x `height` 8-bit PNG of `pixels`, row by row, RGBA when `alpha`, else RGB
/// (empty when the pixels do not fill the image).
pub fn png_of_pixels(width: u32, height: u32, alpha: bool, pixels: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(if alpha {
        png::ColorType::Rgba
    } else {
        png::ColorType::Rgb
    });
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Balanced);
    encoder.set_filter(png::Filter::Adaptive);
    let written = encoder.write_header().and_then(|mut writer| {
        writer
            .write_image_data(pixels)
            .and_then(|()| writer.finish())
    });
    match written {
        Ok(()) => out,
        Err(_) => Vec::new(),
    }
}

/// `picture` as a baseline JPEG (quality 85, 4:2:0 chroma), always opaque.
pub fn jpeg(picture: &Picture) -> Vec<u8> {
    let (width, height, pixels) = picture.pixels(false, u32::from(u16::MAX));
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 85);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_2_0);
    // `pixels` clamped both sides to u16::MAX.
    let (width, height) = (width as u16, height as u16);
    match encoder.encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb) {
        Ok(()) => out,
        Err(_) => Vec::new(),
    }
}

/// `picture` as a lossless WebP (RGBA when `alpha`, sides at most 16,384, WebP's limit).
pub fn webp(picture: &Picture) -> Vec<u8> {
    let (width, height, pixels) = picture.pixels(picture.alpha, 16_384);
    let colour = if picture.alpha {
        image_webp::ColorType::Rgba8
    } else {
        image_webp::ColorType::Rgb8
    };
    let mut out = Vec::new();
    match image_webp::WebPEncoder::new(&mut out).encode(&pixels, width, height, colour) {
        Ok(()) => out,
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(width: u32, height: u32, alpha: bool) -> Picture {
        Picture {
            width,
            height,
            top: [30, 60, 200, 255],
            bottom: [240, 180, 20, if alpha { 0 } else { 255 }],
            alpha,
        }
    }

    /// Decoded by zune-png, a different project from the `png` crate that wrote it.
    #[test]
    fn png_decodes_to_the_gradient_and_stays_small() {
        for alpha in [false, true] {
            let picture = gradient(1024, 1024, alpha);
            let bytes = png(&picture);
            assert!(bytes.len() < 10_000, "{} bytes", bytes.len());
            let mut decoder =
                zune_png::PngDecoder::new(zune_core::bytestream::ZCursor::new(&bytes));
            let pixels = decoder.decode_raw().unwrap();
            let channels = if alpha { 4 } else { 3 };
            assert_eq!(pixels.len(), 1024 * 1024 * channels);
            for y in [0, 511, 1023] {
                let at = (y * 1024 + 700) * channels;
                assert_eq!(
                    pixels[at..at + channels],
                    picture.row_colour(y as u32)[..channels],
                    "row {y}"
                );
            }
        }
    }

    /// Decoded by zune-jpeg, a different project from `jpeg-encoder`.
    #[test]
    fn jpeg_decodes_close_to_the_gradient() {
        let picture = gradient(300, 200, true);
        let bytes = jpeg(&picture);
        let mut decoder = zune_jpeg::JpegDecoder::new(zune_core::bytestream::ZCursor::new(&bytes));
        let pixels = decoder.decode().unwrap();
        let info = decoder.info().unwrap();
        assert_eq!((info.width, info.height), (300, 200));
        assert_eq!(pixels.len(), 300 * 200 * 3, "RGB, no alpha");
        for y in [4u32, 100, 195] {
            let at = (y as usize * 300 + 150) * 3;
            let want = picture.row_colour(y);
            for c in 0..3 {
                let diff = (i32::from(pixels[at + c]) - i32::from(want[c])).abs();
                assert!(diff <= 6, "row {y}: {:?} vs {want:?}", &pixels[at..at + 3]);
            }
        }
    }

    /// Decoded by libwebp (Google's reference decoder), not by `image-webp`.
    #[test]
    fn webp_decodes_losslessly_to_the_gradient() {
        for alpha in [false, true] {
            let picture = gradient(320, 240, alpha);
            let bytes = webp(&picture);
            let decoded = webp::Decoder::new(&bytes)
                .decode()
                .expect("libwebp decodes it");
            assert_eq!((decoded.width(), decoded.height()), (320, 240));
            assert_eq!(decoded.is_alpha(), alpha);
            let channels = if alpha { 4 } else { 3 };
            for y in [0u32, 120, 239] {
                let at = (y as usize * 320 + 10) * channels;
                assert_eq!(
                    decoded[at..at + channels],
                    picture.row_colour(y)[..channels],
                    "row {y}"
                );
            }
        }
    }

    #[test]
    fn zero_sides_become_one_pixel() {
        let picture = Picture::solid(0, 0, [1, 2, 3, 255]);
        let bytes = png(&picture);
        assert_eq!(&bytes[16..24], &[0, 0, 0, 1, 0, 0, 0, 1]);
        assert!(!jpeg(&picture).is_empty());
        assert!(!webp(&picture).is_empty());
    }
}

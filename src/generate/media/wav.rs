//! WAV (written by `hound`) and raw PCM: 16-bit little-endian mono samples at
//! [`SPEECH_SAMPLE_RATE`].
//!
//! hound writes the canonical 44-byte header and the samples; it has no API for extra
//! chunks, so the transcript's `LIST`/`INFO` chunk is appended here and the RIFF size
//! patched to cover it.

use super::SPEECH_SAMPLE_RATE;
use std::io::Cursor;

/// The samples as raw little-endian PCM.
pub(super) fn pcm(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

/// A WAV with a 44-byte header; a `tag` follows the samples in a `LIST`/`INFO` chunk as
/// the comment (`ICMT`).
pub(super) fn wav(samples: &[i16], tag: Option<&str>) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SPEECH_SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cursor = Cursor::new(Vec::with_capacity(44 + 2 * samples.len()));
    let written = hound::WavWriter::new(&mut cursor, spec).and_then(|mut writer| {
        for &sample in samples {
            writer.write_sample(sample)?;
        }
        writer.finalize()
    });
    if written.is_err() {
        return Vec::new();
    }
    let mut out = cursor.into_inner();
    if let Some(tag) = tag {
        out.extend(info_comment(tag));
        let riff_size = (out.len() - 8) as u32;
        out[4..8].copy_from_slice(&riff_size.to_le_bytes());
    }
    out
}

/// A `LIST` chunk of type `INFO` holding `comment` as `ICMT` (NUL-terminated, padded to an
/// even length as RIFF requires).
fn info_comment(comment: &str) -> Vec<u8> {
    let mut text = comment.as_bytes().to_vec();
    text.push(0);
    if text.len() % 2 == 1 {
        text.push(0);
    }
    let mut out = b"LIST".to_vec();
    out.extend_from_slice(&(4 + 8 + text.len() as u32).to_le_bytes());
    out.extend_from_slice(b"INFOICMT");
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.extend_from_slice(&text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_comment_chunk_extends_the_riff_size() {
        let plain = wav(&[1, -2, 3], None);
        assert_eq!(plain.len(), 44 + 6);
        assert_eq!(&plain[36..40], b"data");
        assert_eq!(plain[44..], pcm(&[1, -2, 3]));
        let tagged = wav(&[1, -2, 3], Some("abc"));
        assert_eq!(tagged[..4], plain[..4]);
        let riff = u32::from_le_bytes(tagged[4..8].try_into().unwrap()) as usize;
        assert_eq!(riff + 8, tagged.len());
        assert_eq!(&tagged[50..54], b"LIST");
        assert_eq!(&tagged[58..66], b"INFOICMT");
        assert_eq!(&tagged[70..74], b"abc\0");
    }
}

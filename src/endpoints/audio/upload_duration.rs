//! How long an uploaded audio file plays, read from its container or frame headers.

use crate::validate::UploadedFile;

/// The duration in seconds of an uploaded audio file: exact for WAV, FLAC, ADTS AAC and Ogg;
/// from the first frame's bitrate for MP3; otherwise estimated at 128 kbit/s.
pub(super) fn duration_of(file: &UploadedFile) -> f64 {
    let bytes = &file.bytes[..];
    let fallback = file.size as f64 / 16_000.0;
    let u32_le = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
    };
    if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WAVE") {
        let byte_rate = u32_le(28).filter(|r| *r > 0);
        // Find the data chunk.
        let mut at = 12;
        while let (Some(id), Some(len)) = (bytes.get(at..at + 4), u32_le(at + 4)) {
            if id == b"data" {
                return byte_rate.map_or(fallback, |rate| f64::from(len) / f64::from(rate));
            }
            at += 8 + len as usize + (len as usize & 1);
        }
        return fallback;
    }
    if bytes.starts_with(b"fLaC") && bytes.len() >= 26 {
        let packed = u64::from_be_bytes(bytes[18..26].try_into().unwrap_or([0; 8]));
        let rate = (packed >> 44) as f64;
        let samples = (packed & 0xF_FFFF_FFFF) as f64;
        return if rate > 0.0 { samples / rate } else { fallback };
    }
    if bytes.starts_with(b"OggS") {
        // The last page's granule position, at 48 kHz for Opus.
        if let Some(last) = bytes.windows(4).rposition(|w| w == b"OggS") {
            if let Some(granule) = bytes.get(last + 6..last + 14) {
                let granule = u64::from_le_bytes(granule.try_into().unwrap_or([0; 8]));
                return granule as f64 / 48_000.0;
            }
        }
        return fallback;
    }
    let mpeg_start = if bytes.starts_with(b"ID3") && bytes.len() >= 10 {
        let size = bytes[6..10]
            .iter()
            .fold(0usize, |acc, b| (acc << 7) | usize::from(b & 0x7F));
        10 + size
    } else {
        0
    };
    let bytes = bytes.get(mpeg_start..).unwrap_or_default();
    if bytes.len() >= 7 && bytes[0] == 0xFF && bytes[1] & 0xF6 == 0xF0 {
        // ADTS: walk the frames, 1024 samples each.
        let rates = [
            96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025,
            8_000, 7_350,
        ];
        let rate = rates
            .get(usize::from((bytes[2] >> 2) & 0xF))
            .copied()
            .unwrap_or(0);
        let (mut at, mut frames) = (0usize, 0u64);
        while at + 7 <= bytes.len() && bytes[at] == 0xFF && bytes[at + 1] & 0xF6 == 0xF0 {
            let len = (usize::from(bytes[at + 3] & 3) << 11)
                | (usize::from(bytes[at + 4]) << 3)
                | usize::from(bytes[at + 5] >> 5);
            if len < 7 {
                break;
            }
            frames += 1;
            at += len;
        }
        return if rate > 0 {
            frames as f64 * 1024.0 / f64::from(rate)
        } else {
            fallback
        };
    }
    if let Some(header) = bytes.get(..4) {
        if header[0] == 0xFF && header[1] & 0xE0 == 0xE0 && (header[1] >> 1) & 3 == 1 {
            let mpeg1 = (header[1] >> 3) & 3 == 3;
            let index = usize::from(header[2] >> 4);
            let table: [u32; 15] = if mpeg1 {
                [
                    0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
                ]
            } else {
                [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
            };
            if let Some(kbps) = table.get(index).filter(|k| **k > 0) {
                return bytes.len() as f64 * 8.0 / (f64::from(*kbps) * 1000.0);
            }
        }
    }
    fallback
}

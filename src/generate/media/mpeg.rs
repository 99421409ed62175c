//! Silent MP3 (MPEG-2 Layer III) and AAC-LC (ADTS) streams at [`SPEECH_SAMPLE_RATE`], mono.
//!
//! Written by hand, on purpose: these are constant frames of silence (a fixed header and
//! zeroed or empty spectral data), and the only MP3 and AAC encoders for Rust wrap C
//! libraries (LAME, fdk-aac) that would add a C build and a psychoacoustic model to emit
//! zeros.

use super::SPEECH_SAMPLE_RATE;

/// Samples per MPEG-2 Layer III frame.
const MP3_FRAME_SAMPLES: usize = 576;

/// Silent MPEG-2 Layer III frames (32 kbit/s, 24 kHz, mono) lasting at least `samples`:
/// 96-byte frames whose side information and main data are zero, which decoders play as
/// silence.
pub(super) fn mp3(samples: usize) -> Vec<u8> {
    // Sync, MPEG-2, Layer III, no CRC | bitrate index 4 (32k), 24 kHz | mono, original.
    let header = [0xFF, 0xF3, 0x44, 0xC4];
    let frame_len = 72 * 32_000 / SPEECH_SAMPLE_RATE as usize;
    let frames = samples.div_ceil(MP3_FRAME_SAMPLES).max(1);
    let mut out = Vec::with_capacity(frames * frame_len);
    for _ in 0..frames {
        out.extend_from_slice(&header);
        out.extend(std::iter::repeat_n(0u8, frame_len - header.len()));
    }
    out
}

/// Samples per AAC frame.
const AAC_FRAME_SAMPLES: usize = 1024;

/// Silent AAC-LC frames in ADTS framing (24 kHz, mono) lasting at least `samples`.
pub(super) fn aac(samples: usize) -> Vec<u8> {
    // A raw data block of silence: one channel element with zero spectral data, then END.
    let payload = [0x00, 0xC8, 0x00, 0x80, 0x23, 0x80];
    let frame_len = 7 + payload.len();
    let frames = samples.div_ceil(AAC_FRAME_SAMPLES).max(1);
    let mut out = Vec::with_capacity(frames * frame_len);
    for _ in 0..frames {
        let profile = 1u8; // AAC LC (object type 2, minus one)
        let rate_index = 6u8; // 24000 Hz
        let channels = 1u8;
        out.push(0xFF);
        out.push(0xF1); // MPEG-4, layer 0, no CRC
        out.push((profile << 6) | (rate_index << 2) | (channels >> 2));
        out.push(((channels & 3) << 6) | ((frame_len >> 11) as u8 & 0x3));
        out.push((frame_len >> 3) as u8);
        out.push((((frame_len & 7) as u8) << 5) | 0x1F);
        out.push(0xFC);
        out.extend_from_slice(&payload);
    }
    out
}

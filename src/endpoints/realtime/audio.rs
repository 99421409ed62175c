//! Realtime audio: the session's formats (PCM16 at 24 kHz, G.711 μ-law and A-law at 8 kHz),
//! decoding what a client appends, encoding what the model says, and finding speech in
//! the input by its energy (server VAD).
//!
//! G.711 is written here rather than taken from a crate: it is two table-free functions
//! each way (ITU-T G.711's segment encoding), and no maintained crate in the lock file or
//! the package lists offers it without pulling in a whole codec stack.

use serde_json::Value;

/// The audio format of one direction of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// 16-bit little-endian PCM, mono, at 24 kHz (`audio/pcm`, beta `pcm16`).
    Pcm16,
    /// G.711 μ-law, 8 kHz (`audio/pcmu`, beta `g711_ulaw`).
    Ulaw,
    /// G.711 A-law, 8 kHz (`audio/pcma`, beta `g711_alaw`).
    Alaw,
}

/// Samples per second of the mock's speech (and of PCM16 in a session).
pub const PCM_RATE: u32 = 24_000;

impl Format {
    /// The format a session's `format` value names (`{"type": "audio/pcmu"}`, or a beta
    /// string such as `g711_alaw`); PCM16 otherwise.
    pub fn of(value: Option<&Value>) -> Format {
        let name = match value {
            Some(Value::String(name)) => name.as_str(),
            Some(object) => object.get("type").and_then(Value::as_str).unwrap_or(""),
            None => "",
        };
        match name {
            "audio/pcmu" | "g711_ulaw" => Format::Ulaw,
            "audio/pcma" | "g711_alaw" => Format::Alaw,
            _ => Format::Pcm16,
        }
    }

    /// Samples per second.
    pub fn rate(self) -> u32 {
        match self {
            Format::Pcm16 => PCM_RATE,
            Format::Ulaw | Format::Alaw => 8_000,
        }
    }

    /// The samples `bytes` carry in this format.
    pub fn decode(self, bytes: &[u8]) -> Vec<i16> {
        match self {
            Format::Pcm16 => bytes
                .chunks_exact(2)
                .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
                .collect(),
            Format::Ulaw => bytes.iter().map(|&b| ulaw_to_linear(b)).collect(),
            Format::Alaw => bytes.iter().map(|&b| alaw_to_linear(b)).collect(),
        }
    }

    /// `samples` at [`PCM_RATE`] in this format (G.711 is resampled to 8 kHz by averaging
    /// each three samples).
    pub fn encode(self, samples: &[i16]) -> Vec<u8> {
        let narrow = || {
            samples
                .chunks(3)
                .map(|chunk| {
                    let sum: i32 = chunk.iter().map(|&s| i32::from(s)).sum();
                    (sum / chunk.len() as i32) as i16
                })
                .collect::<Vec<i16>>()
        };
        match self {
            Format::Pcm16 => samples.iter().flat_map(|s| s.to_le_bytes()).collect(),
            Format::Ulaw => narrow().into_iter().map(linear_to_ulaw).collect(),
            Format::Alaw => narrow().into_iter().map(linear_to_alaw).collect(),
        }
    }

    /// Bytes per sample.
    pub fn sample_bytes(self) -> usize {
        match self {
            Format::Pcm16 => 2,
            Format::Ulaw | Format::Alaw => 1,
        }
    }
}

const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 32_635;

/// One sample in G.711 μ-law.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let mut value = i32::from(sample);
    let sign = if value < 0 {
        value = -value;
        0x80
    } else {
        0
    };
    value = value.min(ULAW_CLIP) + ULAW_BIAS;
    let exponent = segment(value >> 7);
    let mantissa = (value >> (exponent + 3)) & 0x0F;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

/// One G.711 μ-law byte as a sample.
pub fn ulaw_to_linear(byte: u8) -> i16 {
    let byte = !byte;
    let exponent = i32::from((byte >> 4) & 0x07);
    let mantissa = i32::from(byte & 0x0F);
    let magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
    if byte & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// One sample in G.711 A-law.
pub fn linear_to_alaw(sample: i16) -> u8 {
    let value = i32::from(sample);
    let (sign, magnitude) = if value >= 0 {
        (0xD5u8, value)
    } else {
        (0x55u8, -value - 1)
    };
    let magnitude = magnitude.min(32_767) >> 3;
    let code = if magnitude < 32 {
        (magnitude >> 1) as u8
    } else {
        let exponent = segment(magnitude >> 5) + 1;
        let exponent = exponent.min(7);
        ((exponent << 4) as u8) | ((magnitude >> exponent) & 0x0F) as u8
    };
    code ^ sign
}

/// One G.711 A-law byte as a sample.
pub fn alaw_to_linear(byte: u8) -> i16 {
    let byte = byte ^ 0x55;
    let exponent = i32::from((byte >> 4) & 0x07);
    let mantissa = i32::from(byte & 0x0F);
    let magnitude = match exponent {
        0 => (mantissa << 4) + 8,
        _ => ((mantissa << 4) + 0x108) << (exponent - 1),
    };
    if byte & 0x80 != 0 {
        magnitude as i16
    } else {
        -magnitude as i16
    }
}

/// The position of the highest set bit of `value` (0 to 7), the G.711 segment.
fn segment(value: i32) -> i32 {
    let mut segment = 0;
    let mut rest = value;
    while rest > 1 && segment < 7 {
        rest >>= 1;
        segment += 1;
    }
    segment
}

/// Energy-based voice activity over appended audio, in 10 ms frames.
#[derive(Debug, Clone, Default)]
pub struct Vad {
    /// Milliseconds of input heard so far in this session.
    pub heard_ms: u64,
    /// When the current speech started (ms), while speech is going on.
    pub speech_from: Option<u64>,
    /// Milliseconds of silence since the last speech frame.
    silent_ms: u64,
    /// Samples waiting to fill a frame.
    pending: Vec<i16>,
}

/// What the detector found in a piece of audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// Speech began at this many ms into the session.
    Started(u64),
    /// Speech ended at this many ms.
    Stopped(u64),
}

impl Vad {
    /// Feeds `samples` at `rate`; `threshold` (0 to 1, the session's) scales the level that
    /// counts as speech and `silence_ms` is how long a pause ends a turn.
    pub fn feed(
        &mut self,
        samples: &[i16],
        rate: u32,
        threshold: f64,
        silence_ms: u64,
    ) -> Vec<Turn> {
        let frame = (rate / 100).max(1) as usize;
        // 0.5 (the default) puts the line at about -30 dBFS; the mock's speech hums at -15.
        let level = 0.004 + 0.05 * threshold.clamp(0.0, 1.0);
        self.pending.extend_from_slice(samples);
        let mut turns = Vec::new();
        let frames = self.pending.len() / frame;
        for index in 0..frames {
            let chunk = &self.pending[index * frame..(index + 1) * frame];
            let energy: f64 = chunk
                .iter()
                .map(|&s| (f64::from(s) / 32768.0).powi(2))
                .sum::<f64>()
                / frame as f64;
            let loud = energy.sqrt() > level;
            self.heard_ms += 10;
            match (loud, self.speech_from) {
                (true, None) => {
                    let start = self.heard_ms - 10;
                    self.speech_from = Some(start);
                    self.silent_ms = 0;
                    turns.push(Turn::Started(start));
                }
                (true, Some(_)) => self.silent_ms = 0,
                (false, Some(_)) => {
                    self.silent_ms += 10;
                    if self.silent_ms >= silence_ms.max(10) {
                        self.speech_from = None;
                        turns.push(Turn::Stopped(self.heard_ms - self.silent_ms));
                        self.silent_ms = 0;
                    }
                }
                (false, None) => {}
            }
        }
        self.pending.drain(..frames * frame);
        turns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g711_round_trips_within_its_quantisation() {
        for sample in [
            -32768i16, -20000, -1000, -100, -1, 0, 1, 100, 1000, 20000, 32767,
        ] {
            let u = ulaw_to_linear(linear_to_ulaw(sample));
            let a = alaw_to_linear(linear_to_alaw(sample));
            let tolerance = (i32::from(sample).abs() / 16).max(40);
            assert!(
                (i32::from(u) - i32::from(sample)).abs() <= tolerance,
                "ulaw {sample} -> {u}"
            );
            assert!(
                (i32::from(a) - i32::from(sample)).abs() <= tolerance,
                "alaw {sample} -> {a}"
            );
        }
        // The standard's silence codes.
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_alaw(0), 0xD5);
    }

    #[test]
    fn g711_is_eight_kilohertz_and_pcm_twenty_four() {
        let samples = vec![1000i16; 2400];
        assert_eq!(Format::Pcm16.encode(&samples).len(), 4800);
        assert_eq!(Format::Ulaw.encode(&samples).len(), 800);
        assert_eq!(
            Format::Alaw.decode(&Format::Alaw.encode(&samples)).len(),
            800
        );
        assert_eq!(
            Format::of(Some(&serde_json::json!({"type": "audio/pcmu"}))),
            Format::Ulaw
        );
        assert_eq!(
            Format::of(Some(&serde_json::json!("g711_alaw"))),
            Format::Alaw
        );
    }

    #[test]
    fn speech_is_found_between_silences() {
        let mut vad = Vad::default();
        let silence = vec![0i16; 24_000 / 2];
        let tone: Vec<i16> = (0..24_000)
            .map(|i| ((i as f64 * 0.05).sin() * 8000.0) as i16)
            .collect();
        let mut turns = vad.feed(&silence, 24_000, 0.5, 200);
        turns.extend(vad.feed(&tone, 24_000, 0.5, 200));
        turns.extend(vad.feed(&silence, 24_000, 0.5, 200));
        assert_eq!(turns, vec![Turn::Started(500), Turn::Stopped(1500)]);
    }
}

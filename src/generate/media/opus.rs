//! Ogg Opus: Ogg pages written by the `ogg` crate, holding the `OpusHead` and `OpusTags`
//! headers and silent 20 ms Opus packets.
//!
//! The Opus parts are written by hand, on purpose: the headers are fixed little records
//! (RFC 7845), every packet is the same 3-byte silent CELT frame, and the only Opus encoders
//! for Rust wrap libopus, a C build, to emit silence.

use super::{tags, SPEECH_SAMPLE_RATE};
use ogg::writing::{PacketWriteEndInfo, PacketWriter};

/// Opus packets per Ogg page (one second of 20 ms packets).
const OPUS_PACKETS_PER_PAGE: usize = 50;
/// The stream's serial number ("como").
const SERIAL: u32 = 0x6f6d_6f63;
/// Samples (at 48 kHz) that a decoder drops from the start: Opus's usual encoder delay.
const PRE_SKIP: u64 = 312;
/// Samples at 48 kHz in one 20 ms packet.
const PACKET_SAMPLES: u64 = 960;
/// TOC 0xF8 (CELT-only fullband, 20 ms, mono, one frame), then a frame that decodes to
/// silence.
const SILENT_PACKET: [u8; 3] = [0xF8, 0xFF, 0xFE];

/// An Ogg Opus stream lasting at least `samples` (at [`SPEECH_SAMPLE_RATE`]): the two
/// header pages, then pages of silent packets; the last page's granule position gives the
/// exact duration.
pub(super) fn ogg_opus(samples: usize, tag: Option<&str>) -> Vec<u8> {
    write(samples, tag).unwrap_or_default()
}

fn write(samples: usize, tag: Option<&str>) -> std::io::Result<Vec<u8>> {
    let mut head = b"OpusHead".to_vec();
    head.push(1); // version
    head.push(1); // channels
    head.extend_from_slice(&(PRE_SKIP as u16).to_le_bytes());
    head.extend_from_slice(&SPEECH_SAMPLE_RATE.to_le_bytes()); // the input's rate
    head.extend_from_slice(&0i16.to_le_bytes()); // output gain
    head.push(0); // mapping family: mono or stereo
    let mut comments = b"OpusTags".to_vec();
    comments.extend(tags::vorbis_comments(tag));

    // Granule positions count 48 kHz samples.
    let wanted = samples as u64 * 48_000 / u64::from(SPEECH_SAMPLE_RATE);
    let packets = (wanted + PRE_SKIP).div_ceil(PACKET_SAMPLES).max(1);
    let mut writer = PacketWriter::new(Vec::new());
    writer.write_packet(head, SERIAL, PacketWriteEndInfo::EndPage, 0)?;
    writer.write_packet(comments, SERIAL, PacketWriteEndInfo::EndPage, 0)?;
    for packet in 1..=packets {
        let (end, granule) = if packet == packets {
            (PacketWriteEndInfo::EndStream, PRE_SKIP + wanted)
        } else if packet % OPUS_PACKETS_PER_PAGE as u64 == 0 {
            (PacketWriteEndInfo::EndPage, packet * PACKET_SAMPLES)
        } else {
            (PacketWriteEndInfo::NormalPacket, packet * PACKET_SAMPLES)
        };
        writer.write_packet(&SILENT_PACKET[..], SERIAL, end, granule)?;
    }
    Ok(writer.into_inner())
}

//! Containers with no media in them: a zip archive (written by `zip`) holding one stored
//! file, and an empty ISO base media file (`ftyp` and `moov` boxes, written by
//! `mp4-atom`).

use std::io::{Cursor, Write};

/// A zip archive holding `content` as the one file `name`, stored uncompressed (dated
/// 1980-01-01, so the same archive every time).
pub(super) fn zip(name: &str, content: &[u8]) -> Vec<u8> {
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let written = writer
        .start_file(name, options)
        .and_then(|()| writer.write_all(content).map_err(Into::into))
        .and_then(|()| writer.finish());
    match written {
        Ok(cursor) => cursor.into_inner(),
        Err(_) => Vec::new(),
    }
}

/// An ISO base media file: `ftyp` plus a `moov` holding a movie header (no tracks, zero
/// duration).
pub(super) fn mp4() -> Vec<u8> {
    use mp4_atom::Encode;
    let ftyp = mp4_atom::Ftyp {
        major_brand: b"isom".into(),
        minor_version: 0x200,
        compatible_brands: vec![b"isom".into(), b"iso2".into(), b"mp41".into()],
    };
    let moov = mp4_atom::Moov {
        mvhd: mp4_atom::Mvhd {
            timescale: 1000,
            duration: 0,
            rate: 1.into(),
            volume: 1.into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut out = Vec::new();
    match ftyp.encode(&mut out).and_then(|()| moov.encode(&mut out)) {
        Ok(()) => out,
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read back by hand (the `zip` crate's own reader would not be an independent check),
    /// with the checksum from the `crc` crate rather than the writer's crc32fast.
    #[test]
    fn the_zip_holds_the_stored_file() {
        let content = b"hello, zip";
        let bytes = zip("a.txt", content);
        let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]) as usize;
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        // Local file header.
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        assert_eq!(u16_at(8), 0, "stored");
        let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(content);
        assert_eq!(u32_at(14), crc);
        assert_eq!(u32_at(18) as usize, content.len());
        assert_eq!(u32_at(22) as usize, content.len());
        let (name_len, extra_len) = (u16_at(26), u16_at(28));
        assert_eq!(&bytes[30..30 + name_len], b"a.txt");
        let data = 30 + name_len + extra_len;
        assert_eq!(&bytes[data..data + content.len()], content);
        // End of central directory: one entry, whose central header names the same file.
        let end = bytes.len() - 22;
        assert_eq!(&bytes[end..end + 4], b"PK\x05\x06");
        assert_eq!(u16_at(end + 10), 1);
        let central = u32_at(end + 16) as usize;
        assert_eq!(&bytes[central..central + 4], b"PK\x01\x02");
        assert_eq!(u32_at(central + 16), crc);
        assert_eq!(&bytes[central + 46..central + 46 + name_len], b"a.txt");
        assert_eq!(u32_at(central + 42), 0, "the local header's offset");
    }

    /// Parsed by Mozilla's mp4parse, not by `mp4-atom`.
    #[test]
    fn the_mp4_parses_with_a_movie_header() {
        let bytes = mp4();
        assert_eq!(&bytes[4..8], b"ftyp");
        let context = mp4parse::read_mp4(&mut Cursor::new(&bytes)).expect("mp4parse reads it");
        assert_eq!(context.timescale.map(|t| t.0), Some(1000));
        assert!(context.tracks.is_empty());
    }
}

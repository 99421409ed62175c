//! The content part of the realism sweep: every answer that is not JSON is decoded as what its
//! content type says (images by zune and libwebp, audio by symphonia, mp4 by mp4parse, zip
//! archives by the zip reader, SDP, text), and a file's download (`application/octet-stream`)
//! as what its name says, with as many bytes as its metadata reports.

use serde_json::Value;

/// Checks that `bytes` are a file of `content_type`; an octet stream is checked as a file
/// named `name` when the name is known.
pub(crate) fn decode(content_type: &str, name: Option<&str>, bytes: &[u8]) -> Result<(), String> {
    let kind = content_type.split(';').next().unwrap_or("").trim();
    match kind {
        "image/png" => {
            use zune_core::bytestream::ZCursor;
            let mut decoder = zune_png::PngDecoder::new(ZCursor::new(bytes));
            decoder.decode_raw().map(drop).map_err(|e| format!("{e:?}"))
        }
        "image/jpeg" => {
            use zune_core::bytestream::ZCursor;
            let mut decoder = zune_jpeg::JpegDecoder::new(ZCursor::new(bytes));
            decoder.decode().map(drop).map_err(|e| format!("{e:?}"))
        }
        "image/webp" => webp::Decoder::new(bytes)
            .decode()
            .map(drop)
            .ok_or_else(|| "not a WebP".to_string()),
        "video/mp4" => mp4parse::read_mp4(&mut std::io::Cursor::new(bytes))
            .map(drop)
            .map_err(|e| format!("{e:?}")),
        k if k.starts_with("audio/") => audio(bytes),
        "application/zip" => zip(bytes),
        "application/sdp" => std::str::from_utf8(bytes)
            .ok()
            .filter(|sdp| sdp.starts_with("v=0\r\n") && sdp.contains("\r\nm="))
            .map(drop)
            .ok_or_else(|| "not an SDP answer".into()),
        "application/json" => serde_json::from_slice::<Value>(bytes)
            .map(drop)
            .map_err(|e| e.to_string()),
        "application/octet-stream" => match name.map(|n| n.rsplit('.').next().unwrap_or("")) {
            Some("jsonl") => jsonl(bytes),
            Some("pdf") => pdf(bytes),
            Some("png") => decode("image/png", None, bytes),
            Some("jpg" | "jpeg") => decode("image/jpeg", None, bytes),
            Some("json") => decode("application/json", None, bytes),
            Some(_) => text(bytes),
            None if bytes.is_empty() => Err("empty".into()),
            None => Ok(()),
        },
        k if k.starts_with("text/") => text(bytes),
        other => Err(format!("no decoder for {other}")),
    }
}

fn text(bytes: &[u8]) -> Result<(), String> {
    std::str::from_utf8(bytes)
        .map(drop)
        .map_err(|e| e.to_string())
}

fn jsonl(bytes: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    if text.trim().is_empty() {
        return Err("no lines".into());
    }
    for (n, line) in text.lines().enumerate() {
        serde_json::from_str::<Value>(line).map_err(|e| format!("line {}: {e}", n + 1))?;
    }
    Ok(())
}

/// A PDF whose `startxref` points at its cross-reference table, and each entry of that at
/// its object.
fn pdf(bytes: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    if !text.starts_with("%PDF-") || !text.trim_end().ends_with("%%EOF") {
        return Err("no PDF header or trailer".into());
    }
    let start: usize = text
        .rsplit("startxref")
        .next()
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or("no startxref")?;
    let table = text.get(start..).filter(|t| t.starts_with("xref"));
    let table = table.ok_or("startxref misses the table")?;
    for (n, line) in table
        .lines()
        .skip(3)
        .take_while(|l| l.len() >= 18)
        .enumerate()
    {
        let offset: usize = line[..10].parse().map_err(|_| "bad xref entry")?;
        if !text[offset..].starts_with(&format!("{} 0 obj", n + 1)) {
            return Err(format!("object {} is not at {offset}", n + 1));
        }
    }
    Ok(())
}

/// Every entry of the archive reads back with its checksum.
fn zip(bytes: &[u8]) -> Result<(), String> {
    use std::io::Read;
    let mut archive =
        ::zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    if archive.is_empty() {
        return Err("an empty archive".into());
    }
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| e.to_string())?;
        let mut content = Vec::new();
        entry.read_to_end(&mut content).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Symphonia finds a track and reads (and, except Opus, decodes) its packets.
fn audio(bytes: &[u8]) -> Result<(), String> {
    use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_OPUS};
    use symphonia::core::errors::Error;
    use symphonia::core::io::MediaSourceStream;
    let source = MediaSourceStream::new(
        Box::new(std::io::Cursor::new(bytes.to_vec())),
        Default::default(),
    );
    let probed = symphonia::default::get_probe()
        .format(
            &Default::default(),
            source,
            &Default::default(),
            &Default::default(),
        )
        .map_err(|e| e.to_string())?;
    let mut format = probed.format;
    let track = format.default_track().ok_or("no track")?.clone();
    let mut decoder = if track.codec_params.codec == CODEC_TYPE_OPUS {
        None
    } else {
        Some(
            symphonia::default::get_codecs()
                .make(&track.codec_params, &DecoderOptions::default())
                .map_err(|e| e.to_string())?,
        )
    };
    let mut packets = 0;
    loop {
        match format.next_packet() {
            Ok(packet) => {
                packets += 1;
                if let Some(decoder) = decoder.as_mut() {
                    decoder.decode(&packet).map_err(|e| e.to_string())?;
                }
            }
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e.to_string()),
        }
    }
    if packets == 0 {
        return Err("no packets".into());
    }
    Ok(())
}

//! The metadata that carries a speech file's transcript tag: an ID3v2.4 tag (written by
//! `id3`) in front of MP3 and AAC, and the Vorbis comment list that FLAC and Opus embed.
//!
//! The Vorbis comment list is written by hand: it is four length-prefixed fields, and the
//! crates that know it (lewton, symphonia) only read it.

/// `audio` behind an ID3v2.4 tag holding `tag` as a user text frame (`TXXX`, UTF-8),
/// which MP3 and ADTS readers skip.
pub(super) fn with_id3(tag: Option<&str>, audio: Vec<u8>) -> Vec<u8> {
    use id3::TagLike;
    let Some(tag) = tag else {
        return audio;
    };
    let mut id3 = id3::Tag::new();
    id3.add_frame(id3::frame::ExtendedText {
        description: "openai-mock".into(),
        value: tag.into(),
    });
    let mut out = Vec::new();
    // Writing into memory only fails on our own mistakes; the audio then goes out untagged.
    if id3.write_to(&mut out, id3::Version::Id3v24).is_err() {
        out.clear();
    }
    out.extend(audio);
    out
}

/// A Vorbis comment list (as FLAC and Opus carry it): our vendor string and `comment`, if
/// any.
pub(super) fn vorbis_comments(comment: Option<&str>) -> Vec<u8> {
    let vendor = b"openai-mock";
    let mut out = (vendor.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(vendor);
    let comments: &[&str] = comment.as_slice();
    out.extend_from_slice(&(comments.len() as u32).to_le_bytes());
    for comment in comments {
        out.extend_from_slice(&(comment.len() as u32).to_le_bytes());
        out.extend_from_slice(comment.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vorbis_comments_are_length_prefixed() {
        assert_eq!(
            vorbis_comments(Some("A=b")),
            b"\x0b\0\0\0openai-mock\x01\0\0\0\x03\0\0\0A=b"
        );
        assert_eq!(vorbis_comments(None), b"\x0b\0\0\0openai-mock\0\0\0\0");
    }

    #[test]
    fn id3_tags_only_when_there_is_a_tag() {
        assert_eq!(with_id3(None, vec![1, 2]), [1, 2]);
        let tagged = with_id3(Some("K=\"v\""), vec![0xFF, 0xF3]);
        assert_eq!(&tagged[..4], b"ID3\x04");
        assert!(tagged.ends_with(&[0xFF, 0xF3]));
    }
}

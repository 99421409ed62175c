//! FLAC, written by `flacenc`: the samples losslessly (16-bit mono at
//! [`SPEECH_SAMPLE_RATE`]), with the transcript as a `VORBIS_COMMENT` metadata block.

use super::{tags, SPEECH_SAMPLE_RATE};
use flacenc::component::{BitRepr, MetadataBlockData};
use flacenc::error::Verify;

/// The FLAC metadata block type of a Vorbis comment list.
const VORBIS_COMMENT: u8 = 4;

/// A FLAC stream holding `samples`, and `tag` as its one Vorbis comment.
pub(super) fn flac(samples: &[i16], tag: Option<&str>) -> Vec<u8> {
    encode(samples, tag).unwrap_or_default()
}

fn encode(samples: &[i16], tag: Option<&str>) -> Option<Vec<u8>> {
    let config = flacenc::config::Encoder::default().into_verified().ok()?;
    let samples: Vec<i32> = samples.iter().map(|&s| i32::from(s)).collect();
    let source =
        flacenc::source::MemSource::from_samples(&samples, 1, 16, SPEECH_SAMPLE_RATE as usize);
    let mut stream =
        flacenc::encode_with_fixed_block_size(&config, source, config.block_size).ok()?;
    // flacenc counts the last, shorter block in STREAMINFO's minimum block size, which
    // RFC 9639 excludes; a strict reader (symphonia) then takes the fixed-size frames for a
    // variable-size stream and cannot sync. Every block but the last has the configured
    // size, so that is both bounds (as the reference encoder writes them).
    stream
        .stream_info_mut()
        .set_block_sizes(config.block_size, config.block_size)
        .ok()?;
    if let Some(tag) = tag {
        let comments = tags::vorbis_comments(Some(tag));
        stream.add_metadata_block(MetadataBlockData::new_unknown(VORBIS_COMMENT, &comments).ok()?);
    }
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream.write(&mut sink).ok()?;
    Some(sink.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use symphonia::core::audio::SampleBuffer;
    use symphonia::core::io::MediaSourceStream;

    /// Decoded by symphonia, a different project from flacenc: lossless, whatever the length
    /// of the last block.
    #[test]
    fn symphonia_decodes_the_samples_back() {
        for length in [10, 4096, 5000] {
            let samples: Vec<i16> = (0..length)
                .map(|i| ((f64::from(i) * 0.1).sin() * 8000.0) as i16)
                .collect();
            let bytes = flac(&samples, Some("A=b"));
            let source =
                MediaSourceStream::new(Box::new(std::io::Cursor::new(bytes)), Default::default());
            let mut hint = symphonia::core::probe::Hint::new();
            hint.with_extension("flac");
            let mut format = symphonia::default::get_probe()
                .format(&hint, source, &Default::default(), &Default::default())
                .unwrap()
                .format;
            let params = format.default_track().unwrap().codec_params.clone();
            assert_eq!(params.sample_rate, Some(SPEECH_SAMPLE_RATE));
            assert_eq!(params.n_frames, Some(length as u64));
            let mut decoder = symphonia::default::get_codecs()
                .make(&params, &Default::default())
                .unwrap();
            let mut decoded = Vec::new();
            while let Ok(packet) = format.next_packet() {
                let audio = decoder.decode(&packet).unwrap();
                let mut buffer = SampleBuffer::<i16>::new(audio.capacity() as u64, *audio.spec());
                buffer.copy_interleaved_ref(audio);
                decoded.extend_from_slice(buffer.samples());
            }
            assert_eq!(decoded, samples, "{length} samples");
            let tags = format.metadata().skip_to_latest().unwrap().tags().to_vec();
            assert_eq!(
                (tags[0].key.as_str(), tags[0].value.to_string().as_str()),
                ("A", "b")
            );
        }
    }
}

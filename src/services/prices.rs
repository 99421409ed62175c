//! The one price table: US dollars per million tokens (input, cached input, output) per
//! model family, plus per-image, per-character and per-minute prices, from OpenAI's public
//! pricing page as of [`SOURCE_DATE`]. `/organization/costs` prices usage with it.

/// When the prices were read from the public pricing page.
pub const SOURCE_DATE: &str = "2026-11-01";

/// A model's prices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// Dollars per million input tokens.
    pub input: f64,
    /// Dollars per million cached input tokens.
    pub cached: f64,
    /// Dollars per million output tokens.
    pub output: f64,
    /// Dollars per image.
    pub image: f64,
    /// Dollars per million characters (speech).
    pub characters: f64,
    /// Dollars per minute of audio (transcription).
    pub minute: f64,
}

const fn tokens(input: f64, cached: f64, output: f64) -> Price {
    Price {
        input,
        cached,
        output,
        image: 0.0,
        characters: 0.0,
        minute: 0.0,
    }
}

/// Prices by the unit, not by the token: per image, per million characters, per minute.
const fn per_unit(image: f64, characters: f64, minute: f64) -> Price {
    Price {
        image,
        characters,
        minute,
        ..tokens(0.0, 0.0, 0.0)
    }
}

/// Model name prefixes and their prices; the longest matching prefix wins.
const TABLE: &[(&str, Price)] = &[
    ("gpt-4o-mini", tokens(0.15, 0.075, 0.60)),
    ("gpt-4o", tokens(2.50, 1.25, 10.00)),
    ("gpt-4.1-nano", tokens(0.10, 0.025, 0.40)),
    ("gpt-4.1-mini", tokens(0.40, 0.10, 1.60)),
    ("gpt-4.1", tokens(2.00, 0.50, 8.00)),
    ("gpt-5-nano", tokens(0.05, 0.005, 0.40)),
    ("gpt-5-mini", tokens(0.25, 0.025, 2.00)),
    ("gpt-5", tokens(1.25, 0.125, 10.00)),
    ("gpt-4-turbo", tokens(10.00, 10.00, 30.00)),
    ("gpt-4", tokens(30.00, 30.00, 60.00)),
    ("gpt-3.5-turbo", tokens(0.50, 0.50, 1.50)),
    ("o1-mini", tokens(1.10, 0.55, 4.40)),
    ("o1", tokens(15.00, 7.50, 60.00)),
    ("o3-mini", tokens(1.10, 0.55, 4.40)),
    ("o3", tokens(2.00, 0.50, 8.00)),
    ("o4-mini", tokens(1.10, 0.275, 4.40)),
    ("text-embedding-3-small", tokens(0.02, 0.02, 0.0)),
    ("text-embedding-3-large", tokens(0.13, 0.13, 0.0)),
    ("text-embedding-ada-002", tokens(0.10, 0.10, 0.0)),
    ("omni-moderation", tokens(0.0, 0.0, 0.0)),
    ("text-moderation", tokens(0.0, 0.0, 0.0)),
    ("davinci-002", tokens(2.00, 2.00, 2.00)),
    ("babbage-002", tokens(0.40, 0.40, 0.40)),
    ("dall-e-3", per_unit(0.040, 0.0, 0.0)),
    ("dall-e-2", per_unit(0.020, 0.0, 0.0)),
    (
        "gpt-image-1",
        Price {
            image: 0.042,
            ..tokens(5.00, 1.25, 40.00)
        },
    ),
    ("tts-1-hd", per_unit(0.0, 30.00, 0.0)),
    ("tts-1", per_unit(0.0, 15.00, 0.0)),
    ("whisper-1", per_unit(0.0, 0.0, 0.006)),
];

/// What a model unknown to the table costs: the price of `gpt-4o-mini`, so traffic always
/// has a cost.
pub const FALLBACK: Price = tokens(0.15, 0.075, 0.60);

/// The prices of `model` (the longest matching prefix; [`FALLBACK`] when none matches).
pub fn price(model: &str) -> Price {
    TABLE
        .iter()
        .filter(|(prefix, _)| model.starts_with(prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map_or(FALLBACK, |(_, price)| *price)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_prefix_wins_and_unknown_models_still_cost() {
        assert_eq!(price("gpt-4o-mini-2024-07-18").input, 0.15);
        assert_eq!(price("gpt-4o-2024-08-06").input, 2.50);
        assert_eq!(price("my-model"), FALLBACK);
    }
}

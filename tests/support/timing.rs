//! Wall time of the external suites, for the report `.ci/run` prints: each suite appends
//! `<name> <seconds>` to `target/tmp/suite-timings.txt` when it ends, passed or failed.

use std::io::Write;
use std::time::Instant;

/// Records its suite's wall time when dropped.
pub struct Timed {
    name: &'static str,
    started: Instant,
}

/// Starts timing the suite `name` (one word, e.g. `sdk-python-api-resources`).
pub fn timed(name: &'static str) -> Timed {
    Timed {
        name,
        started: Instant::now(),
    }
}

impl Drop for Timed {
    fn drop(&mut self) {
        let path = concat!(env!("CARGO_TARGET_TMPDIR"), "/suite-timings.txt");
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let seconds = self.started.elapsed().as_secs_f64();
            let _ = writeln!(file, "{} {seconds:.1}", self.name);
        }
    }
}

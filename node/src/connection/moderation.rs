//! Read moderation: whether a busy connection's reader pauses briefly before each read, so that
//! the peer's writes pile up and are read at once instead of each waking this node.
//!
//! A pause costs latency, and on a connection whose peer answers what this node sends (a single
//! caller, a ping-pong) it lowers the message rate; when the peer streams (many callers, a
//! server answering many of ours) it raises the rate, because neither side pays a wake-up per
//! message. Which case holds is not visible in one read, so the reader tries: after a window of
//! reads at a busy rate it reads a window with pauses, keeps pausing while that does not lower
//! the incoming message rate below the rate without pauses, and compares again from time to
//! time. Trials that lose are repeated less and less often.

use std::time::{Duration, Instant};

/// How long the reader pauses before a read while moderating.
pub(crate) const PAUSE: Duration = Duration::from_micros(50);

/// Reads per measuring window.
const WINDOW_READS: u32 = 64;

/// Below this incoming rate (messages per second) a connection is not busy enough to pause.
const BUSY_RATE: f64 = 5_000.0;

/// While pausing, the rate without pauses is measured again every this many windows.
const RECHECK_WINDOWS: u32 = 32;

/// Windows without a trial after a lost trial: doubles from the first to the last value.
const BACKOFF: (u32, u32) = (4, 1024);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Reading without pauses; the window measures the baseline rate.
    Off,
    /// One window with pauses, to compare with the baseline.
    Trial,
    /// Pausing; it won its trial.
    On,
}

/// The moderation state of one connection's reader.
#[derive(Debug)]
pub(crate) struct Moderation {
    mode: Mode,
    window_start: Instant,
    window_reads: u32,
    window_messages: u64,
    /// Messages per second of the last window without pauses.
    baseline: f64,
    /// Windows to wait before the next trial, and the wait after the next lost trial.
    wait: u32,
    next_wait: u32,
    /// Windows spent pausing since the last comparison.
    on_windows: u32,
}

impl Moderation {
    pub fn new(now: Instant) -> Moderation {
        Moderation {
            mode: Mode::Off,
            window_start: now,
            window_reads: 0,
            window_messages: 0,
            baseline: 0.0,
            wait: 0,
            next_wait: BACKOFF.0,
            on_windows: 0,
        }
    }

    /// Whether the reader pauses before its next read.
    pub fn pausing(&self) -> bool {
        self.mode != Mode::Off
    }

    /// Records a read that carried `messages` messages (ticks included).
    pub fn read(&mut self, messages: u64, now: Instant) {
        self.window_reads += 1;
        self.window_messages += messages;
        if self.window_reads >= WINDOW_READS {
            let seconds = now
                .saturating_duration_since(self.window_start)
                .as_secs_f64()
                .max(1e-9);
            self.end_window(self.window_messages as f64 / seconds);
            self.window_start = now;
            self.window_reads = 0;
            self.window_messages = 0;
        }
    }

    fn end_window(&mut self, rate: f64) {
        match self.mode {
            Mode::Off => {
                self.baseline = rate;
                if rate < BUSY_RATE {
                    return;
                }
                if self.wait == 0 {
                    self.mode = Mode::Trial;
                } else {
                    self.wait -= 1;
                }
            }
            Mode::Trial => {
                if rate >= self.baseline {
                    self.mode = Mode::On;
                    self.on_windows = 0;
                    self.next_wait = BACKOFF.0;
                } else {
                    self.mode = Mode::Off;
                    self.wait = self.next_wait;
                    self.next_wait = (self.next_wait * 2).min(BACKOFF.1);
                }
            }
            Mode::On => {
                self.on_windows += 1;
                // A rate below the last one without pauses means the traffic changed (a
                // stream ended, a ping-pong began): measure again rather than keep pausing.
                if rate < BUSY_RATE || rate < self.baseline || self.on_windows >= RECHECK_WINDOWS {
                    // Measure the rate without pauses again; a trial follows at once if busy.
                    self.mode = Mode::Off;
                    self.wait = 0;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `windows` windows of reads, each read bringing `per_read` messages after `gap`.
    fn feed(m: &mut Moderation, now: &mut Instant, windows: u32, per_read: u64, gap: Duration) {
        for _ in 0..windows * WINDOW_READS {
            *now += gap;
            m.read(per_read, *now);
        }
    }

    /// A connection whose stream won its trial: 25,000 messages/s without pauses, then 30,000/s
    /// with them.
    fn pausing_on_a_stream() -> (Moderation, Instant) {
        let mut now = Instant::now();
        let mut m = Moderation::new(now);
        feed(&mut m, &mut now, 1, 1, Duration::from_micros(40));
        feed(&mut m, &mut now, 1, 3, Duration::from_micros(100));
        assert_eq!(m.mode, Mode::On);
        (m, now)
    }

    #[test]
    fn an_idle_connection_never_pauses() {
        let mut now = Instant::now();
        let mut m = Moderation::new(now);
        feed(&mut m, &mut now, 50, 1, Duration::from_millis(1));
        assert!(!m.pausing());
    }

    #[test]
    fn a_busy_connection_tries_pausing_after_one_window() {
        let mut now = Instant::now();
        let mut m = Moderation::new(now);
        feed(&mut m, &mut now, 1, 1, Duration::from_micros(40));
        assert!(m.pausing(), "trial after a busy window");
    }

    #[test]
    fn pausing_is_kept_while_it_raises_the_rate_and_checked_again_later() {
        let mut now = Instant::now();
        let mut m = Moderation::new(now);
        // Without pauses: one message per read every 40 us (25,000/s).
        feed(&mut m, &mut now, 1, 1, Duration::from_micros(40));
        assert_eq!(m.mode, Mode::Trial);
        // With pauses: three messages per read every 100 us (30,000/s): kept.
        feed(&mut m, &mut now, 1, 3, Duration::from_micros(100));
        assert_eq!(m.mode, Mode::On);
        feed(
            &mut m,
            &mut now,
            RECHECK_WINDOWS - 1,
            3,
            Duration::from_micros(100),
        );
        assert_eq!(m.mode, Mode::On);
        feed(&mut m, &mut now, 1, 3, Duration::from_micros(100));
        assert_eq!(
            m.mode,
            Mode::Off,
            "a window without pauses after the recheck period"
        );
        feed(&mut m, &mut now, 1, 1, Duration::from_micros(40));
        assert_eq!(m.mode, Mode::Trial, "and a new trial right after it");
    }

    #[test]
    fn a_ping_pong_loses_its_trials_and_they_become_rare() {
        let mut now = Instant::now();
        let mut m = Moderation::new(now);
        let mut trials = 0;
        let mut paused_windows = 0;
        for _ in 0..2_000 {
            // A ping-pong: one message per round trip, 40 us without a pause, 60 us with one.
            if m.pausing() {
                paused_windows += 1;
                feed(&mut m, &mut now, 1, 1, Duration::from_micros(60));
                if m.mode == Mode::Off {
                    trials += 1;
                }
            } else {
                feed(&mut m, &mut now, 1, 1, Duration::from_micros(40));
            }
        }
        assert_eq!(m.mode, Mode::Off);
        assert_eq!(paused_windows, trials, "every trial lost, none kept");
        // Waits of 4, 8, ..., 1024 windows, then 1024 each: 10 trials in 2,000 windows.
        assert!(trials <= 10, "{trials} trials");
    }

    #[test]
    fn a_ping_pong_after_a_stream_stops_pausing_at_once() {
        let (mut m, mut now) = pausing_on_a_stream();
        // The stream ends; a ping-pong at 60 us per round trip with pauses (16,700/s, busy).
        feed(&mut m, &mut now, 1, 1, Duration::from_micros(60));
        assert!(
            !m.pausing(),
            "one window, then a measurement without pauses"
        );
    }

    #[test]
    fn pausing_stops_when_the_connection_goes_quiet() {
        let (mut m, mut now) = pausing_on_a_stream();
        feed(&mut m, &mut now, 1, 1, Duration::from_millis(2));
        assert!(!m.pausing());
        feed(&mut m, &mut now, 10, 1, Duration::from_millis(2));
        assert!(!m.pausing());
    }
}

//! Counting events in a sliding time window, with bounded memory.

use std::collections::VecDeque;

/// Times of recent events, forgetting those older than the window.
#[derive(Clone, Debug, Default)]
pub struct SlidingCount {
    times: VecDeque<f64>,
}

impl SlidingCount {
    /// Adds an event at `t` and returns how many fall within `window` seconds up to `t`.
    pub fn push(&mut self, t: f64, window: f64) -> usize {
        self.times.push_back(t);
        self.prune(t, window);
        self.times.len()
    }

    pub fn prune(&mut self, now: f64, window: f64) {
        while self
            .times
            .front()
            .is_some_and(|&first| first < now - window)
        {
            self.times.pop_front();
        }
    }

    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    pub fn last(&self) -> Option<f64> {
        self.times.back().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_within_the_window() {
        let mut c = SlidingCount::default();
        assert_eq!(c.push(0.0, 10.0), 1);
        assert_eq!(c.push(5.0, 10.0), 2);
        assert_eq!(c.push(10.0, 10.0), 3);
        assert_eq!(c.push(10.5, 10.0), 3);
    }
}

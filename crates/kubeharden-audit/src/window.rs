//! Windowed state with bounded memory: counts in a sliding window ([`SlidingCount`]),
//! the distinct values seen in it ([`Distinct`]), and state per key that is forgotten
//! once the window has passed it ([`Keyed`]). A detector keeps nothing older than its
//! window, and nothing beyond these caps however hostile the log.

use std::collections::{HashMap, VecDeque};

/// Most event times one count keeps: beyond, the oldest go and the count stays
/// there. Every threshold is far below.
pub const MAX_TIMES: usize = 1 << 16;
/// Most distinct values one [`Distinct`] keeps.
pub const MAX_DISTINCT: usize = 1 << 12;
/// Most keys one [`Keyed`] keeps: beyond, the least recently touched go.
pub const MAX_KEYS: usize = 1 << 18;
/// Below this many keys, a [`Keyed`] is not swept.
const MIN_SWEEP: usize = 1 << 10;

/// Times of recent events, forgetting those older than the window.
#[derive(Clone, Debug, Default)]
pub struct SlidingCount {
    times: VecDeque<f64>,
}

impl SlidingCount {
    /// Adds an event at `t` and returns how many fall within `window` seconds up to `t`.
    pub fn push(&mut self, t: f64, window: f64) -> usize {
        if self.times.len() == MAX_TIMES {
            self.times.pop_front();
        }
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

/// The distinct values (users, addresses) seen within a window, each forgotten once
/// it has not been seen for the window.
#[derive(Clone, Debug, Default)]
pub struct Distinct {
    /// Each value's last sighting.
    last: HashMap<Box<str>, f64>,
    /// Sightings, oldest first. One whose value was seen again later is stale and is
    /// skipped when it comes out; compaction keeps them few.
    order: VecDeque<(f64, Box<str>)>,
}

impl Distinct {
    /// Adds a sighting of `value` at `t` and returns how many distinct values were
    /// seen within `window` seconds up to `t`.
    pub fn push(&mut self, value: &str, t: f64, window: f64) -> usize {
        match self.last.get_mut(value) {
            Some(last) if *last >= t => {}
            Some(last) => {
                *last = t;
                self.order.push_back((t, value.into()));
            }
            None => {
                if self.last.len() == MAX_DISTINCT {
                    self.pop_oldest();
                }
                self.last.insert(value.into(), t);
                self.order.push_back((t, value.into()));
            }
        }
        self.prune(t, window);
        if self.order.len() > 2 * self.last.len() + 16 {
            self.compact();
        }
        self.last.len()
    }

    /// Forgets the values not seen within `window` seconds up to `now`.
    pub fn prune(&mut self, now: f64, window: f64) {
        while self.order.front().is_some_and(|(t, _)| *t < now - window) {
            self.pop_oldest();
        }
    }

    /// Takes the oldest sighting out, and its value when it was the value's last.
    fn pop_oldest(&mut self) {
        while let Some((t, value)) = self.order.pop_front() {
            if self.last.get(&value) == Some(&t) {
                self.last.remove(&value);
                return;
            }
        }
    }

    /// Drops the stale sightings: one per value is left, in time order.
    fn compact(&mut self) {
        let mut order: Vec<(f64, Box<str>)> =
            self.last.iter().map(|(v, t)| (*t, v.clone())).collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0));
        self.order = order.into();
    }

    pub fn len(&self) -> usize {
        self.last.len()
    }

    pub fn is_empty(&self) -> bool {
        self.last.is_empty()
    }
}

/// State per key (an address, a user), forgotten once the key has not been touched
/// for the window. Untouched keys are swept out whenever the map has doubled since
/// the last sweep, so a sweep costs O(1) per key added.
#[derive(Clone, Debug)]
pub struct Keyed<V> {
    map: HashMap<Box<str>, (f64, V)>,
    sweep_at: usize,
}

impl<V> Default for Keyed<V> {
    fn default() -> Self {
        Keyed {
            map: HashMap::new(),
            sweep_at: MIN_SWEEP,
        }
    }
}

impl<V: Default> Keyed<V> {
    /// The state of `key`, made if new, touched at `t`.
    pub fn touch(&mut self, key: &str, t: f64, window: f64) -> &mut V {
        if !self.map.contains_key(key) {
            if self.map.len() >= self.sweep_at {
                self.sweep(t, window);
            }
            self.map.insert(key.into(), (t, V::default()));
        }
        let (last, state) = self.map.get_mut(key).expect("inserted above");
        *last = last.max(t);
        state
    }

    /// The state of `key` if it has one, untouched.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.map.get_mut(key).map(|(_, state)| state)
    }

    /// Forgets the keys untouched within `window` seconds up to `now`, and beyond
    /// half of [`MAX_KEYS`] the least recently touched ones too: the next sweep is
    /// then at least as many new keys away as are kept.
    fn sweep(&mut self, now: f64, window: f64) {
        self.map.retain(|_, (last, _)| *last >= now - window);
        let keep = MAX_KEYS / 2;
        if self.map.len() > keep {
            let mut times: Vec<f64> = self.map.values().map(|(t, _)| *t).collect();
            let nth = times.len() - keep;
            let (_, &mut cut, _) = times.select_nth_unstable_by(nth, f64::total_cmp);
            self.map.retain(|_, (last, _)| *last > cut);
        }
        self.sweep_at = (2 * self.map.len()).clamp(MIN_SWEEP, MAX_KEYS);
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
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

    #[test]
    fn a_count_keeps_at_most_its_cap() {
        let mut c = SlidingCount::default();
        for i in 0..MAX_TIMES + 100 {
            c.push(i as f64 * 1e-6, 600.0);
        }
        assert_eq!(c.len(), MAX_TIMES);
    }

    #[test]
    fn distinct_values_are_forgotten_after_the_window() {
        let mut d = Distinct::default();
        let day = 86_400.0;
        for (i, user) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            assert_eq!(d.push(user, i as f64 * day, 600.0), 1, "{user}");
        }
        assert_eq!(d.push("x", 4.0 * day + 1.0, 600.0), 2);
        // Seen again, a value is kept from its last sighting on.
        let mut d = Distinct::default();
        d.push("a", 0.0, 10.0);
        d.push("b", 5.0, 10.0);
        d.push("a", 9.0, 10.0);
        assert_eq!(d.push("c", 16.0, 10.0), 2, "b went, a stays");
    }

    #[test]
    fn distinct_memory_is_bounded() {
        let mut d = Distinct::default();
        for i in 0..100_000 {
            d.push("same", i as f64, 1e9);
        }
        assert!(d.order.len() <= 2 * d.len() + 16, "{}", d.order.len());
        for i in 0..MAX_DISTINCT * 2 {
            d.push(&format!("u{i}"), 200_000.0 + i as f64, 1e9);
        }
        assert_eq!(d.len(), MAX_DISTINCT);
        assert!(d.order.len() <= 2 * MAX_DISTINCT + 16);
    }

    #[test]
    fn keys_untouched_for_the_window_are_swept() {
        let mut k: Keyed<u32> = Keyed::default();
        for i in 0..100_000 {
            *k.touch(&format!("10.0.{}.{}", i / 256, i % 256), i as f64, 60.0) += 1;
        }
        // One key a second, a window of a minute: what is held stays near the sweep
        // floor, never the 100,000 keys seen.
        assert!(k.len() <= 2 * MIN_SWEEP, "{}", k.len());
        assert!(k.get_mut("10.0.0.0").is_none());
        assert_eq!(k.get_mut("10.0.390.159").copied(), Some(1), "the last key");
    }

    #[test]
    fn keys_within_the_window_are_capped() {
        let mut k: Keyed<()> = Keyed::default();
        for i in 0..MAX_KEYS + 1000 {
            k.touch(&i.to_string(), i as f64, 1e12);
        }
        assert!(k.len() <= MAX_KEYS, "{}", k.len());
        assert!(k.get_mut(&(MAX_KEYS + 999).to_string()).is_some());
    }
}

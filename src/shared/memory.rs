//! A bound on the memory a stage may take when its allocations cannot be
//! counted from inside: minijinja builds some values in one step (a list
//! doubled by `+` many times over is materialised item by item inside one
//! instruction), before its fuel is charged.
//!
//! While a [`Watch`] is alive, one watchdog thread samples the resident
//! memory of the process every few milliseconds. If it has grown by more
//! than the watch's limit since the watch started, cleat prints the watch's
//! diagnostic and exits with status 1: the growth in between samples is the
//! only overshoot. Growth is the whole process's, so work running beside a
//! watch counts against it too. Where `/proc/self/status` cannot be read
//! (not Linux), watches do nothing.

use std::sync::{Condvar, Mutex, OnceLock};
use std::time::Duration;

use crate::shared::diagnostics::Diagnostic;

/// How often the watchdog samples while something is watched.
const INTERVAL: Duration = Duration::from_millis(5);

/// While alive, the process stops with its diagnostic if its resident
/// memory grows by more than its limit.
pub struct Watch {
    id: u64,
}

struct Watched {
    id: u64,
    /// Resident bytes when the watch started.
    baseline: u64,
    limit: u64,
    stop: Diagnostic,
}

#[derive(Default)]
struct State {
    watched: Vec<Watched>,
    next_id: u64,
    watchdog: bool,
}

fn state() -> &'static (Mutex<State>, Condvar) {
    static STATE: OnceLock<(Mutex<State>, Condvar)> = OnceLock::new();
    STATE.get_or_init(Default::default)
}

impl Watch {
    /// Watches until dropped: growth beyond `limit` bytes prints `stop` and
    /// exits.
    pub fn start(limit: u64, stop: Diagnostic) -> Watch {
        let Some(baseline) = resident() else {
            return Watch { id: u64::MAX };
        };
        let (lock, wake) = state();
        let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
        let id = state.next_id;
        state.next_id += 1;
        state.watched.push(Watched {
            id,
            baseline,
            limit,
            stop,
        });
        if !state.watchdog {
            state.watchdog = std::thread::Builder::new()
                .name("memory-watch".into())
                .spawn(watchdog)
                .is_ok();
        }
        wake.notify_one();
        Watch { id }
    }

    /// Replaces what is printed when the limit is passed, as the work moves on.
    pub fn stop_with(&self, stop: Diagnostic) {
        let (lock, _) = state();
        let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(watched) = state.watched.iter_mut().find(|w| w.id == self.id) {
            watched.stop = stop;
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let (lock, _) = state();
        let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
        state.watched.retain(|w| w.id != self.id);
    }
}

fn watchdog() {
    let (lock, wake) = state();
    loop {
        {
            let state = lock.lock().unwrap_or_else(|e| e.into_inner());
            let state = wake
                .wait_while(state, |s| s.watched.is_empty())
                .unwrap_or_else(|e| e.into_inner());
            drop(state);
        }
        std::thread::sleep(INTERVAL);
        let Some(now) = resident() else { return };
        let state = lock.lock().unwrap_or_else(|e| e.into_inner());
        let over = state
            .watched
            .iter()
            .find(|w| now.saturating_sub(w.baseline) > w.limit);
        if let Some(over) = over {
            eprint!("{}", over.stop.render(false));
            std::process::exit(1);
        }
    }
}

/// The resident memory of this process in bytes (`VmRSS`).
fn resident() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line
        .trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_resident_memory_of_the_process() {
        let before = resident().expect("VmRSS in /proc/self/status");
        let block = vec![1u8; 64 << 20];
        let after = resident().expect("VmRSS in /proc/self/status");
        assert!(after >= before + (60 << 20), "{before} -> {after}");
        drop(block);
    }

    #[test]
    fn a_watch_within_its_limit_lets_the_work_finish() {
        let watch = Watch::start(1 << 40, Diagnostic::error("unreachable"));
        let block = vec![1u8; 16 << 20];
        std::thread::sleep(INTERVAL * 4);
        drop(block);
        drop(watch);
        let (lock, _) = state();
        let state = lock.lock().unwrap();
        assert!(state.watched.iter().all(|w| w.limit != 1 << 40));
    }
}

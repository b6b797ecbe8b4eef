//! Work spread over the machine's cores, results kept in order.
//!
//! Rendering thousands of objects spends its time parsing and writing YAML,
//! work that splits into independent pieces. [`map`] runs a function over a
//! slice on scoped threads (one per core, each taking the next unclaimed
//! item) and returns the results in the slice's order, so callers stay
//! deterministic whatever the scheduling; [`map_sized`] does so only when
//! the items add up to enough work. [`join`] runs two closures side by
//! side.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// `items.iter().map(f).collect()`, run on up to one thread per core.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    // Asking the system reads cgroup files: once per process is enough.
    static CORES: OnceLock<usize> = OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let threads = cores.min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else {
                return done;
            };
            done.push((index, f(item)));
        }
    };
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    results.sort_unstable_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// Below this much text to read or write, items are handled on the calling
/// thread: starting threads would cost more than they save.
pub const WORTH_THREADS: usize = 64 * 1024;

/// Whether work on texts of these sizes in bytes comes to
/// [`WORTH_THREADS`]: the one test of whether to start threads.
pub fn worth_threads(sizes: impl IntoIterator<Item = usize>) -> bool {
    sizes.into_iter().sum::<usize>() >= WORTH_THREADS
}

/// [`map`] for items whose cost follows their `size` in bytes: on this
/// thread when together they come to less than [`WORTH_THREADS`].
pub fn map_sized<T: Sync, R: Send>(
    items: &[T],
    size: impl Fn(&T) -> usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    if !worth_threads(items.iter().map(size)) {
        return items.iter().map(f).collect();
    }
    map(items, f)
}

/// `a` and `b` side by side: `a` on a thread of its own, `b` on this one.
pub fn join<A: Send, B>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    join_if(true, a, b)
}

/// [`join`] when `worth` (a thread costs more than small work), else `a`
/// then `b` on this thread.
pub fn join_if<A: Send, B>(
    worth: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B,
) -> (A, B) {
    if !worth {
        return (a(), b());
    }
    std::thread::scope(|scope| {
        let first = scope.spawn(a);
        let second = b();
        let first = first
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_order_of_the_items() {
        let items: Vec<u64> = (0..1000).collect();
        let squares = super::map(&items, |i| i * i);
        assert_eq!(squares, items.iter().map(|i| i * i).collect::<Vec<_>>());
        assert!(super::map(&[] as &[u8], |b| *b).is_empty());
        let sized = super::map_sized(&items, |_| super::WORTH_THREADS / 10, |i| i + 1);
        assert_eq!(sized, items.iter().map(|i| i + 1).collect::<Vec<_>>());
    }
}

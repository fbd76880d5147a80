//! Optional core pinning of render threads (see [`RenderPoolBuilder::pin_threads`]).
//!
//! [`RenderPoolBuilder::pin_threads`]: super::RenderPoolBuilder::pin_threads

use core_affinity::CoreId;

/// Which CPU each render thread goes to: thread `i` gets the `i`-th allowed CPU, round-robin.
#[derive(Debug, Clone)]
pub(super) struct Placement {
    cpus: Vec<CoreId>,
}

impl Placement {
    /// The CPUs the calling thread may run on (so `taskset` and cpusets are respected), or
    /// `None` with a warning when they cannot be read: the pool then runs unpinned.
    pub(super) fn allowed() -> Option<Self> {
        match core_affinity::get_core_ids() {
            Some(cpus) if !cpus.is_empty() => Some(Placement { cpus }),
            _ => {
                tracing::warn!("cannot read the allowed CPUs; render threads are not pinned");
                None
            }
        }
    }

    /// The CPU of render thread `index`.
    pub(super) fn cpu_for(&self, index: usize) -> CoreId {
        self.cpus[index % self.cpus.len()]
    }
}

/// Pins the calling thread to `cpu`. A refusal (restricted cpuset, CPU gone offline) is only
/// logged: an unpinned render thread still renders correctly.
pub(super) fn pin_current(index: usize, cpu: CoreId) {
    if !core_affinity::set_for_current(cpu) {
        tracing::warn!(
            thread = index,
            cpu = cpu.id,
            "could not pin render thread; it runs unpinned"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_are_placed_round_robin() {
        let placement = Placement {
            cpus: vec![CoreId { id: 2 }, CoreId { id: 5 }],
        };
        let ids: Vec<usize> = (0..5).map(|i| placement.cpu_for(i).id).collect();
        assert_eq!(ids, [2, 5, 2, 5, 2]);
    }
}

//! The wasmtime configurations: what every module is compiled and run with.

use crate::runtimes::Metering;

/// Native stack a guest may use. Compiled C/C++ keeps its own 8 MiB stack in
/// linear memory, but every wasm call frame also takes native stack, so this
/// must be generous for deep recursion to reach the linear-memory limit first.
const MAX_WASM_STACK: usize = 16 << 20;

/// Native stack an interpreter may use. CPython's recursion guard watches
/// its linear-memory stack, and some C recursions (`json.loads`, `repr` of
/// nested lists) take ten to twenty times more native stack per level than
/// linear stack: this leaves room for the guard's `RecursionError` to come
/// first (see `PROTECTED_STACK` in `provision/python.rs`). Reserved per
/// instance slot, committed only as used.
const MAX_INTERPRETER_STACK: usize = 64 << 20;

/// Table entries an idle instance slot keeps mapped (zeroed) for the next
/// instance, instead of unmapping them.
const TABLE_KEEP_RESIDENT: usize = 16 << 20;

/// Linear memory an idle slot of a [`SlotMemory::Kept`] pool keeps mapped
/// for the next instance: a JavaScript hello writes 159 pages (0.6 MiB).
/// Measured on 2 cores with 8 clients: 16 MiB gave no more speed than 1
/// MiB, and left 356 MiB of RSS after 50 JavaScript runs at once that
/// each wrote a few MiB (1 MiB: 71 MiB; keeping nothing: 21 MiB).
const KEPT_MEMORY: usize = 1 << 20;

/// What an idle instance slot keeps of the linear memory its last
/// instance used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotMemory {
    /// Nothing: every page is unmapped and the next instance maps (copies,
    /// for the pages it writes) what it needs again. For large images,
    /// whose pages kept mapped would count in the server's RSS once per
    /// slot (after a burst of 50 Python runs, 190 MiB more RSS for the
    /// same memory). Runs find their pages faulted in ahead instead (see
    /// `engine/working_set.rs`, `engine/prepared.rs`).
    Released,
    /// Up to [`KEPT_MEMORY`]: the pages the last instance wrote are copied
    /// back from the image (the kernel's `PAGEMAP_SCAN` finds them) and
    /// stay the slot's own, so the next instance neither copies nor faults
    /// them in again. For small images made often (QuickJS): measured
    /// with 8 clients, 1,993 to 2,050 JavaScript hellos a second against
    /// 1,334 to 1,523 with nothing kept.
    Kept,
}

/// Settings that shape the engine and its instance pool.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Instances that may exist at once; further executions wait for a slot.
    pub max_instances: u32,
    /// Instances kept alive between runs (contexts), in slots of their own.
    pub max_live_instances: u32,
    /// The largest linear memory any execution may be granted.
    pub max_memory_bytes: u64,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            max_instances: 64,
            max_live_instances: 0,
            max_memory_bytes: 4 << 30,
        }
    }
}

/// The wasmtime configuration modules are compiled and run with.
///
/// Precompiled artifacts are only valid for the configuration that made them,
/// so provisioning and execution both build it here.
pub fn wasmtime_config(
    options: &EngineOptions,
    metering: Metering,
    slot_memory: SlotMemory,
) -> wasmtime::Config {
    let stack = match metering {
        Metering::Fuel => MAX_WASM_STACK,
        Metering::WallTime => MAX_INTERPRETER_STACK,
    };
    let mut config = wasmtime::Config::new();
    config
        .consume_fuel(metering == Metering::Fuel)
        .epoch_interruption(true)
        .max_wasm_stack(stack)
        .async_stack_size(stack + (1 << 20))
        .memory_init_cow(true)
        // CPython (and C++ built with `-fwasm-exceptions`) unwind with wasm
        // exceptions, which wasmtime keeps on a GC heap.
        .wasm_exceptions(true)
        .collector(wasmtime::Collector::DeferredReferenceCounting)
        .cranelift_opt_level(wasmtime::OptLevel::Speed);

    let mut pool = wasmtime::PoolingAllocationConfig::new();
    let slots = options
        .max_instances
        .max(1)
        .saturating_add(options.max_live_instances);
    pool.total_core_instances(slots)
        // A module that uses exceptions takes a second memory for its GC heap.
        .total_memories(slots * 2)
        .total_gc_heaps(slots)
        .total_tables(slots)
        .total_stacks(slots)
        .total_component_instances(0)
        .max_memory_size(usize::try_from(options.max_memory_bytes).unwrap_or(usize::MAX))
        // The clang module references ~100k functions indirectly; its table
        // and its instance's function references need room.
        .table_elements(1 << 18)
        .max_core_instance_size(32 << 20)
        .table_keep_resident(TABLE_KEEP_RESIDENT);
    match slot_memory {
        SlotMemory::Released => {
            pool.linear_memory_keep_resident(0);
        }
        SlotMemory::Kept => {
            pool.linear_memory_keep_resident(KEPT_MEMORY)
                .pagemap_scan(wasmtime::Enabled::Auto)
                // Reuse the slots used last rather than warm new ones: the
                // memory kept is then that of the most runs at once, not
                // of every slot ever used.
                .max_unused_warm_slots(0);
        }
    }
    config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Artifacts are precompiled once per metering: whether slots keep
    /// memory must not change what they are valid for.
    #[test]
    fn what_slots_keep_does_not_change_compiled_code() {
        for metering in [Metering::Fuel, Metering::WallTime] {
            let [released, kept] = [SlotMemory::Released, SlotMemory::Kept].map(|slot_memory| {
                let config = wasmtime_config(&EngineOptions::default(), metering, slot_memory);
                let engine = wasmtime::Engine::new(&config).expect("valid configuration");
                let mut hasher = std::hash::DefaultHasher::new();
                std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
                std::hash::Hasher::finish(&hasher)
            });
            assert_eq!(released, kept, "{metering:?}");
        }
    }
}

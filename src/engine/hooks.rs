//! What the engine's own WASI hooks ([`disk`](super::disk) quotas,
//! [`lookups`](super::lookups)) share: each replaces a preview-1 import
//! with a host function that does its part and calls wasmtime-wasi's
//! public implementation of the same function.

use wasmtime::{AsContextMut as _, Caller, Extern};
use wasmtime_wasi::p1::wasi_snapshot_preview1::WasiSnapshotPreview1 as _;
use wiggle::GuestMemory;

use super::StoreState;

pub(super) const MODULE: &str = "wasi_snapshot_preview1";

/// What a preview-1 call returns when it succeeded.
pub(super) const SUCCESS: i32 = 0;

/// Defines the import `$name` as a call to the calling module's function
/// of the same name, with the guest's memory and the store's state, the
/// way wiggle's generated wrappers do it.
macro_rules! shadow {
    ($linker:ident, $name:ident($($arg:ident: $ty:ty),* $(,)?)) => {
        $linker.func_wrap_async(
            $crate::engine::hooks::MODULE,
            stringify!($name),
            |mut caller: wasmtime::Caller<'_, $crate::engine::StoreState>, ($($arg,)*): ($($ty,)*)| {
                Box::new(async move {
                    let (mut memory, state) = $crate::engine::hooks::guest(&mut caller)?;
                    $name(state, &mut memory, $($arg),*).await
                })
            },
        )?;
    };
}
pub(super) use shadow;

/// Splits the caller into the guest's memory and the store's state, with
/// the host-call fuel set as wiggle's own wrappers set it (wasmtime-wasi
/// charges copies of guest strings and buffers against it).
pub(super) fn guest<'a>(
    caller: &'a mut Caller<'_, StoreState>,
) -> wasmtime::Result<(GuestMemory<'a>, &'a mut StoreState)> {
    let fuel = caller.as_context_mut().hostcall_fuel();
    // Guests here never have shared memories (the engine has no threads).
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return Err(wasmtime::Error::msg("missing required memory export"));
    };
    let (bytes, state) = memory.data_and_store_mut(caller);
    state.wasi.set_hostcall_fuel(fuel);
    Ok((GuestMemory::Unshared(bytes), state))
}

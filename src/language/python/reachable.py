# polyrun: run once, at provisioning, after snapshot.py, in the interpreter
# the snapshot is taken of. Lists the address of every object reachable
# from the loaded modules, so that the host can make them immortal before
# the snapshot (see `provision/python.rs`).
#
# Why: CPython writes an object's reference count whenever it is used, so a
# run that merely looks at a module's functions writes to pages all over
# the snapshot's image, and each first write is a copy-on-write fault.
# Immortal objects (PEP 683) are never counted, never freed, and leave
# their pages shared.
#
# The walk starts from the modules, never from `gc.get_objects()`: that
# would also list this call's own temporaries, which die afterwards, and an
# immortal count written into freed memory corrupts the allocator.


def _polyrun_reachable(memory_bytes):
    import array, builtins, gc, sys

    # One bit per 8-byte granule of linear memory: objects are at least
    # that large and that aligned.
    seen = bytearray((memory_bytes >> 6) + 1)
    found = array.array("I")
    pending = [sys.modules, builtins.__dict__, sys.__dict__]
    while pending:
        obj = pending.pop()
        granule = id(obj) >> 3
        byte, bit = granule >> 3, 1 << (granule & 7)
        if seen[byte] & bit:
            continue
        seen[byte] |= bit
        found.append(id(obj))
        pending.extend(gc.get_referents(obj))
    return found

# polyrun: the start of every Python run, installed in the snapshot as the
# module `_polyrun`. Each run is a fresh instance of the interpreter snapshot
# that calls `_polyrun_main`, which turns it into what `python3 main.py` is:
# this run's environment, working directory, streams, entropy, argv and a
# fresh `__main__`, then the program, its exit handlers and its exit status.


def _polyrun_prepare():
    """Run once, before the snapshot: what every run needs and no run
    changes in a way the next could see (each starts from the snapshot)."""
    import builtins, io, sys

    # The reactor's own exit()/quit() make its `turn` report 256 whatever
    # the code: these raise SystemExit as CPython's site module does.
    builtins.exit = _PolyrunQuitter("exit")
    builtins.quit = _PolyrunQuitter("quit")
    _polyrun_streams(io, sys)


def _polyrun_main(request):
    import builtins, os, sys, types

    os.environ.clear()
    os.environ.update(request["env"])
    if request["cwd"] != os.getcwd():
        try:
            os.chdir(request["cwd"])
        except OSError:
            pass
    _polyrun_reseed(os, sys)
    _polyrun_user_site(os, sys)

    main = types.ModuleType("__main__")
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    mode, target, args = request["mode"], request["target"], request["args"]
    status = 0
    try:
        if mode == "file":
            sys.argv[:] = [target, *args]
            sys.path.insert(0, os.path.dirname(target) or "")
            main.__file__ = target
            main.__cached__ = None
            with open(target, "rb") as source:
                code = compile(source.read(), target, "exec")
            exec(code, main.__dict__)
        elif mode == "code":
            sys.argv[:] = ["-c", *args]
            sys.path.insert(0, "")
            exec(compile(target, "<string>", "exec"), main.__dict__)
        elif mode == "module":
            import runpy

            sys.argv[:] = [target, *args]
            sys.path.insert(0, os.getcwd())
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            import code

            sys.argv[:] = [""]
            sys.path.insert(0, "")
            banner = (
                f"Python {sys.version} on {sys.platform}\n"
                'Type "help", "copyright", "credits" or "license" for more information.'
            )
            code.interact(banner=banner, local=main.__dict__, exitmsg="")
    except SystemExit as exit:
        status = _polyrun_exit_status(exit, sys)
    except SyntaxError as error:
        # As CPython reports a script that does not compile: no traceback.
        error.__traceback__ = None
        sys.excepthook(type(error), error, None)
        status = 1
    except BaseException as error:
        # The first frame is this function's; the user's program starts after.
        traceback = error.__traceback__
        if traceback is not None:
            traceback = traceback.tb_next
        error.__traceback__ = traceback
        sys.excepthook(type(error), error, traceback)
        status = 1
    status = _polyrun_finish(sys, status)
    if status:
        raise SystemExit(status)


class _PolyrunQuitter:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"Use {self.name}() or Ctrl-D (i.e. EOF) to exit"

    def __call__(self, code=None):
        raise SystemExit(code)


def _polyrun_streams(io, sys):
    """Unbuffered UTF-8 streams on this run's descriptors, as PYTHONUNBUFFERED
    gives: output reaches the user while the program runs."""
    stdin = io.TextIOWrapper(
        io.BufferedReader(io.FileIO(0, "r", closefd=False)),
        encoding="utf-8",
        errors="surrogateescape",
    )
    stdout = io.TextIOWrapper(
        io.FileIO(1, "w", closefd=False),
        encoding="utf-8",
        errors="surrogateescape",
        write_through=True,
    )
    stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False),
        encoding="utf-8",
        errors="backslashreplace",
        write_through=True,
    )
    sys.stdin = sys.__stdin__ = stdin
    sys.stdout = sys.__stdout__ = stdout
    sys.stderr = sys.__stderr__ = stderr


def _polyrun_reseed(os, sys):
    """Generators seeded when the snapshot was taken would repeat on every
    run: seed them again from the host's entropy."""
    import random

    random.seed()
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        # 256 bits of the host's entropy (an unseeded numpy draws 128), as
        # a key for MT19937's `init_by_array`: a fifth of the cost of
        # setting a whole 624-word state with `set_state`.
        numpy_random.seed(memoryview(os.urandom(32)).cast("I").tolist())
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None:
        tempfile._name_sequence = None
        # Chosen again in this sandbox (the snapshot's /tmp is not here).
        tempfile.tempdir = None


# Where `pip install` puts packages: the user site of HOME=/, as
# `pip install --user` would.
_POLYRUN_USER_SITE = "/.local/lib/python3.15/site-packages"


def _polyrun_user_site(os, sys):
    """Puts what `pip install` added on `sys.path`, as CPython's site module
    does for the user site (`.pth` files included). Returns whether it
    exists; costs one stat when it does not."""
    if not os.path.isdir(_POLYRUN_USER_SITE):
        return False
    if _POLYRUN_USER_SITE not in sys.path:
        import site

        site.addsitedir(_POLYRUN_USER_SITE)
    return True


def _polyrun_exit_status(exit, sys):
    """The status `sys.exit(code)` ends a process with, as CPython computes it."""
    code = exit.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        print(code, file=sys.stderr)
    except Exception:
        pass
    return 1


def _polyrun_finish(sys, status):
    """What CPython does at exit: the `atexit` handlers, then flushed streams."""
    import atexit

    try:
        atexit._run_exitfuncs()
    except SystemExit as exit:
        status = _polyrun_exit_status(exit, sys)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    return status

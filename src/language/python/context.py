# polyrun: a Python context's glue, added to the module `_polyrun` by the
# context's first turn. A context is one interpreter kept between runs, as a
# notebook's kernel is: every run executes in the same `__main__`, and the
# value of its last expression is kept as text for the host to ask for.

_polyrun_context = None

# The longest value text kept; longer ones are cut, as notebooks elide.
_POLYRUN_MAX_VALUE = 65536


def _polyrun_context_start(request):
    """What every run does first (environment, working directory, fresh
    random state, a new `__main__`), once for the context's lifetime."""
    global _polyrun_context
    import builtins, os, sys, types

    os.environ.clear()
    os.environ.update(request["env"])
    try:
        os.chdir(request["cwd"])
    except OSError:
        pass
    _polyrun_reseed(os, sys)
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins
    sys.modules["__main__"] = main
    sys.argv[:] = [""]
    sys.path.insert(0, "")
    _polyrun_context = {"namespace": main.__dict__, "value": None, "runs": 0}


def _polyrun_context_run(code):
    """Runs one cell: its statements, then its last expression, whose text
    is kept. Returns the status a process would end with."""
    import ast, io, sys

    context = _polyrun_context
    context["value"] = None
    context["status"] = 0
    context["runs"] += 1
    _polyrun_context_packages(context)
    name = f"<cell {context['runs']}>"
    sys.stdin = io.TextIOWrapper(
        io.BufferedReader(io.FileIO(0, "r", closefd=False)),
        encoding="utf-8",
        errors="surrogateescape",
    )
    status = 0
    try:
        _polyrun_remember_source(name, code)
        tree = ast.parse(code, name, "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        namespace = context["namespace"]
        exec(compile(tree, name, "exec"), namespace)
        if last is not None:
            value = eval(compile(last, name, "eval"), namespace)
            if value is not None:
                namespace["_"] = value
                context["value"] = _polyrun_value_text(value)
    except SystemExit as exit:
        status = _polyrun_exit_status(exit, sys)
    except SyntaxError as error:
        error.__traceback__ = None
        sys.excepthook(type(error), error, None)
        status = 1
    except BaseException as error:
        traceback = error.__traceback__
        if traceback is not None:
            traceback = traceback.tb_next
        error.__traceback__ = traceback
        sys.excepthook(type(error), error, traceback)
        status = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    context["status"] = status
    return status


def _polyrun_context_packages(context):
    """Packages installed since the last cell: their site on `sys.path`,
    and the import system's directory caches dropped when it changed."""
    import importlib, os, sys

    if not _polyrun_user_site(os, sys):
        return
    changed = os.stat(_POLYRUN_USER_SITE).st_mtime_ns
    if context.get("site_changed") != changed:
        context["site_changed"] = changed
        importlib.invalidate_caches()


def _polyrun_context_value():
    """Writes the last run's status and value text to stdout as JSON, for
    the host (in a turn of its own, so the run's output stays apart)."""
    import json, sys

    context = _polyrun_context or {}
    report = {"status": context.get("status", 0), "value": context.get("value")}
    sys.stdout.write(json.dumps(report))
    sys.stdout.flush()


def _polyrun_value_text(value):
    try:
        text = repr(value)
    except BaseException as error:
        text = f"<repr failed: {type(error).__name__}: {error}>"
    if len(text) > _POLYRUN_MAX_VALUE:
        text = text[:_POLYRUN_MAX_VALUE] + "…"
    return text


def _polyrun_remember_source(name, code):
    """Lets tracebacks show the cell's lines, as they show a file's."""
    import linecache

    lines = code.splitlines(keepends=True)
    linecache.cache[name] = (len(code), None, lines, name)

# polyrun: run once, at provisioning, inside the interpreter the snapshot is
# taken of. Whatever it imports every run finds already imported, and what it
# patches stays patched. Each run starts from this state (see prelude.py).
import importlib
import sys

# Imported before the snapshot, so that no run pays for them. Each costs
# memory in every run's starting state and nothing afterwards.
PRELOADED = [
    "numpy",
    "pandas",
    "matplotlib",
    "matplotlib.pyplot",
    "scipy",
    "scipy.integrate",
    "scipy.interpolate",
    "scipy.linalg",
    "scipy.optimize",
    "scipy.signal",
    "scipy.sparse",
    "scipy.spatial",
    "scipy.special",
    "scipy.stats",
    "sklearn",
    "sklearn.cluster",
    "sklearn.datasets",
    "sklearn.decomposition",
    "sklearn.ensemble",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.model_selection",
    "sklearn.naive_bayes",
    "sklearn.neighbors",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "sklearn.svm",
    "sklearn.tree",
    "statsmodels.api",
    "statsmodels.formula.api",
    "sympy",
    "networkx",
    "asyncio",
    "json",
    "random",
    "re",
    "collections",
    "itertools",
    "functools",
    "math",
    "datetime",
    "decimal",
    "fractions",
    "statistics",
    "dataclasses",
    "typing",
    "heapq",
    "bisect",
    "string",
    "textwrap",
    "csv",
    "io",
    "code",
    "traceback",
    "runpy",
    "tempfile",
    "subprocess",
    "threading",
    "socket",
    "multiprocessing",
]

import os

os.environ["MPLCONFIGDIR"] = "/tmp/matplotlib"
os.makedirs("/tmp/matplotlib", exist_ok=True)
os.environ["MPLBACKEND"] = "Agg"

for _name in PRELOADED:
    importlib.import_module(_name)


class Unavailable(RuntimeError):
    """What the sandbox cannot do, said plainly."""


def _unavailable(what, why):
    def refuse(*args, **kwargs):
        raise Unavailable(f"{what} is not available in polyrun's sandbox: {why}")

    return refuse


# asyncio's event loop wakes itself through a socket pair, which WASI cannot
# make. With no threads and no signals nothing else can wake it, so it needs
# no self-pipe at all.
import asyncio.selector_events as _selector_events


def _make_self_pipe(self):
    self._ssock = None
    self._csock = None


def _close_self_pipe(self):
    pass


_selector_events.BaseSelectorEventLoop._make_self_pipe = _make_self_pipe
_selector_events.BaseSelectorEventLoop._close_self_pipe = _close_self_pipe

NO_THREADS = "WebAssembly here has no threads"
NO_PROCESSES = "a WebAssembly sandbox cannot start processes"
NO_NETWORK = "the sandbox has no network"

import threading

threading.Thread.start = _unavailable("threading.Thread.start", NO_THREADS)
import _thread

_thread.start_new_thread = _unavailable("_thread.start_new_thread", NO_THREADS)
import subprocess

subprocess.Popen.__init__ = _unavailable("subprocess", NO_PROCESSES)
os.system = _unavailable("os.system", NO_PROCESSES)
import multiprocessing.process

multiprocessing.process.BaseProcess.start = _unavailable("multiprocessing", NO_PROCESSES)
import concurrent.futures

concurrent.futures.ThreadPoolExecutor.submit = _unavailable(
    "concurrent.futures.ThreadPoolExecutor", NO_THREADS
)
concurrent.futures.ProcessPoolExecutor.__init__ = _unavailable(
    "concurrent.futures.ProcessPoolExecutor", NO_PROCESSES
)
import socket

socket.socket.__init__ = _unavailable("socket.socket", NO_NETWORK)
socket.socketpair = _unavailable("socket.socketpair", NO_NETWORK)
socket.create_connection = _unavailable("socket.create_connection", NO_NETWORK)
socket.getaddrinfo = _unavailable("socket.getaddrinfo", NO_NETWORK)

# Plots: the Agg backend. `plt.show()` draws each open figure in a terminal
# that shows pictures (POLYRUN_INLINE_IMAGES, iTerm2's inline image
# protocol); elsewhere it saves each as a PNG in the working directory and
# prints its name.
import matplotlib
import matplotlib.pyplot as _pyplot

matplotlib.use("Agg")
_figures_shown = 0


def _show_inline():
    import base64, io, sys

    for number in _pyplot.get_fignums():
        png = io.BytesIO()
        _pyplot.figure(number).savefig(png, format="png")
        data = png.getvalue()
        name = base64.b64encode(f"figure-{number}.png".encode()).decode()
        picture = base64.b64encode(data).decode()
        sys.stdout.write(f"\x1b]1337;File=name={name};size={len(data)};inline=1:{picture}\x07\n")
    sys.stdout.flush()
    _pyplot.close("all")


def _show(*args, **kwargs):
    global _figures_shown
    if os.environ.get("POLYRUN_INLINE_IMAGES") == "1":
        return _show_inline()
    for number in _pyplot.get_fignums():
        _figures_shown += 1
        name = "plot.png" if _figures_shown == 1 else f"plot-{_figures_shown}.png"
        _pyplot.figure(number).savefig(name)
        print(name)
    _pyplot.close("all")


_pyplot.show = _show

import gc

gc.collect()
_snapshot_ready = True

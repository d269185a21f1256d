"""The Python half of GPUX Convert's bridge.

A script run by converter-core's `runPythonScript` reads one JSON request from stdin and writes
newline-delimited JSON events to the *original* stdout:

    {"type": "progress", "phase": "export", "percent": 40.0, "message": "..."}
    {"type": "log", "level": "info", "message": "..."}
    {"type": "result", "result": {...}, "peakRssBytes": 123}
    {"type": "error", "code": "EXPORT_FAILED", "message": "...", "details": {...}, "traceback": "..."}

Everything else that Python code or native libraries print to stdout is redirected to stderr,
so chatty frameworks cannot corrupt the event stream.

When ``GPUX_BRIDGE_PARENT_PID`` is set (runPythonScript sets it), the request is one line and the
parent keeps stdin open for the whole run: the script ends at once (``os._exit``) when the parent
dies, by the kernel's parent-death signal on Linux and by a thread that sees EOF on stdin elsewhere.
Without it, the request is all of stdin (read to EOF).

**Serve mode** (``GPUX_BRIDGE_SERVE=1``, set by converter-core's ``PythonWorkerPool``): the same script
stays alive and serves many requests, one at a time, each a line on stdin:

    {"type": "request", "id": "r1", "request": {...}, "env": {"TMPDIR": "..."}, "cwd": "..."}

Every event of that request carries ``"requestId": "r1"``; the ``result`` or ``error`` event also
carries ``rssBytes`` (resident memory once the request is done, for the pool's memory ceiling) and a
``peakRssBytes`` of that request alone (the kernel's high-water mark is reset before each request).
After each request the script writes ``\x1egpux-request-end r1`` on a line of stderr, so the caller
knows that the request's stderr is complete. Environment variables, the working directory,
``sys.path`` and modules imported from outside the interpreter's prefix are restored after each
request. EOF on stdin (or a ``{"type": "shutdown"}`` line) ends the process. The serve loop starts
with ``{"type": "ready", "pid": ...}`` once the script's own imports are done. Scripts use it like this:

    from gpux_bridge import BridgeError, run

    def handle(request, bridge):
        bridge.progress("export", 10, "loading model")
        ...
        return {"files": [...]}

    if __name__ == "__main__":
        run(handle)
"""

from __future__ import annotations

import json
import os
import queue
import re
import resource
import signal
import sys
import threading
import traceback
from typing import Any, Callable, Dict, Optional


class BridgeError(Exception):
    """A failure with one of converter-core's error codes (INVALID_MODEL_FILE, ...)."""

    def __init__(self, code: str, message: str, details: Optional[Dict[str, Any]] = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


def peak_rss_bytes() -> int:
    """Peak resident set size of this process (ru_maxrss is in KiB on Linux, bytes on macOS)."""
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(usage if sys.platform == "darwin" else usage * 1024)


class Bridge:
    """Writes protocol events to the stream that was stdout when the script started."""

    def __init__(self, stream):
        self._stream = stream
        self.request_id: Optional[str] = None

    def _emit(self, event: Dict[str, Any]) -> None:
        if self.request_id is not None:
            event = dict(event, requestId=self.request_id)
        self._stream.write(json.dumps(event, default=_json_default, allow_nan=False) + "\n")
        self._stream.flush()

    def progress(self, phase: str, percent: Optional[float] = None, message: Optional[str] = None) -> None:
        event: Dict[str, Any] = {"type": "progress", "phase": phase}
        if percent is not None:
            event["percent"] = float(percent)
        if message is not None:
            event["message"] = message
        self._emit(event)

    def log(self, level: str, message: str) -> None:
        self._emit({"type": "log", "level": level, "message": message})


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def _take_over_stdout():
    """Keep a private handle on the real stdout and point fd 1 (and sys.stdout) at stderr."""
    sys.stdout.flush()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "w", buffering=1, encoding="utf-8")


def _is_allocator_failure(error: BaseException) -> bool:
    """An allocation that the framework's allocator could not get: torch raises these as RuntimeError
    (CPU: "DefaultCPUAllocator: can't allocate memory", errno 12) or torch.OutOfMemoryError, not MemoryError."""
    if type(error).__name__ == "OutOfMemoryError":
        return True
    return isinstance(error, RuntimeError) and "can't allocate memory" in str(error)


def classify_exception(error: BaseException) -> Dict[str, Any]:
    """Maps a Python exception to a protocol error event."""
    if isinstance(error, BridgeError):
        return {"code": error.code, "message": error.message, "details": error.details}
    if isinstance(error, ModuleNotFoundError):
        module = (error.name or str(error)).split(".")[0]
        return {
            "code": "PYTHON_DEPENDENCY_MISSING",
            "message": f"Python module '{module}' is not installed in {sys.executable}.",
            "details": {"module": module, "pythonExecutable": sys.executable},
        }
    if isinstance(error, MemoryError):
        return {"code": "OUT_OF_MEMORY", "message": "Python ran out of memory (MemoryError).", "details": {}}
    if _is_allocator_failure(error):
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return {
            "code": "OUT_OF_MEMORY",
            "message": f"The model needs more memory than the system could give ({first_line}).",
            "details": {"exceptionType": type(error).__name__},
        }
    return {
        "code": "EXPORT_FAILED",
        "message": f"{type(error).__name__}: {error}",
        "details": {"exceptionType": type(error).__name__},
    }


PARENT_GONE_EXIT_CODE = 143
"""Exit status of a script whose parent died (as if it had been sent SIGTERM)."""


def _set_parent_death_signal() -> None:
    """Linux: ask the kernel to SIGKILL this process when its parent dies (prctl PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # no libc symbol: the stdin watchdog still covers it
        pass


class _ParentWatch:
    """Reads request lines from stdin into a queue, reads on to EOF and ends the process there."""

    def __init__(self) -> None:
        self.lines: "queue.Queue[bytes]" = queue.Queue()
        threading.Thread(target=self._watch, name="gpux-parent-watchdog", daemon=True).start()

    def _watch(self) -> None:
        pending = b""
        try:
            while True:
                chunk = os.read(0, 65536)
                if not chunk:
                    break
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    self.lines.put(line)
        except OSError:
            pass
        # EOF: the parent closed its end or died (the kernel closes a dead process's pipes).
        os._exit(PARENT_GONE_EXIT_CODE)


def _watch_parent() -> Optional[_ParentWatch]:
    """Starts watching the parent named by GPUX_BRIDGE_PARENT_PID (set by runPythonScript), if any."""
    parent_pid = os.environ.get("GPUX_BRIDGE_PARENT_PID", "")
    if not parent_pid.isdigit():
        return None
    _set_parent_death_signal()
    # The parent may have died before prctl took effect: then this process was re-parented already.
    if os.getppid() != int(parent_pid):
        os._exit(PARENT_GONE_EXIT_CODE)
    return _ParentWatch()


# At import, before a script imports torch or TensorFlow (seconds): a parent killed meanwhile ends
# this process at once, not after the imports.
_parent_watch = _watch_parent()


def read_request() -> Dict[str, Any]:
    """The JSON request: one line when the parent is watched (stdin stays open), else all of stdin."""
    if _parent_watch is None:
        return json.loads(sys.stdin.read() or "{}")
    return json.loads(_parent_watch.lines.get().decode("utf-8") or "{}")


def _next_line() -> Optional[bytes]:
    """Serve mode: the next line of stdin, or None at EOF (only seen when the parent is not watched)."""
    if _parent_watch is not None:
        return _parent_watch.lines.get()
    line = sys.stdin.buffer.readline()
    return line.rstrip(b"\n") if line else None


REQUEST_END_MARKER = "\x1egpux-request-end "
"""Serve mode: the stderr line that closes a request's stderr (followed by the request id)."""


def _status_kib(field: str) -> Optional[int]:
    try:
        with open("/proc/self/status") as status:
            match = re.search(r"^%s:\s+(\d+)\s+kB" % field, status.read(), re.M)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def _reset_peak_rss() -> bool:
    """Linux: resets the kernel's peak-RSS mark (VmHWM) to the current RSS; False where it cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def _request_memory(peak_was_reset: bool) -> Dict[str, int]:
    """Peak RSS since the request started (process peak where the mark could not be reset) and current RSS."""
    peak = _status_kib("VmHWM") if peak_was_reset else None
    current = _status_kib("VmRSS")
    memory = {"peakRssBytes": peak * 1024 if peak is not None else peak_rss_bytes()}
    if current is not None:
        memory["rssBytes"] = current * 1024
    return memory


def _is_request_module(module: Any) -> bool:
    """True for a module a request imported from outside the interpreter (a model's own code)."""
    location = getattr(module, "__file__", None)
    if not isinstance(location, str):
        return False
    location = os.path.realpath(location)
    prefixes = {os.path.realpath(prefix) for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    # The bridge's and the script's own folders hold the tool's modules, kept warm like the frameworks.
    kept = prefixes | {os.path.dirname(os.path.realpath(__file__)), os.path.dirname(os.path.realpath(sys.argv[0] or "."))}
    return not any(location.startswith(folder + os.sep) for folder in kept)


class _RequestScope:
    """Applies a request's environment and working directory, and undoes what the request changed."""

    def __init__(self) -> None:
        self._environment = dict(os.environ)
        self._cwd = os.getcwd()
        self._path = list(sys.path)
        self._modules = set(sys.modules)

    def apply(self, message: Dict[str, Any]) -> None:
        for key, value in (message.get("env") or {}).items():
            os.environ[str(key)] = str(value)
        if isinstance(message.get("cwd"), str):
            os.chdir(message["cwd"])
        import tempfile

        tempfile.tempdir = None  # re-read TMPDIR

    def restore(self) -> None:
        import tempfile

        os.environ.clear()
        os.environ.update(self._environment)
        tempfile.tempdir = None
        try:
            os.chdir(self._cwd)
        except OSError:
            pass
        sys.path[:] = self._path
        for name in set(sys.modules) - self._modules:
            if _is_request_module(sys.modules.get(name)):
                del sys.modules[name]


def _serve(handler: Callable[[Dict[str, Any], "Bridge"], Any], bridge: "Bridge", after_request: Optional[Callable[[], None]]) -> None:
    """Serve mode: handles request lines until EOF or a shutdown line, one at a time."""
    bridge._emit({"type": "ready", "pid": os.getpid()})
    while True:
        line = _next_line()
        if line is None:
            break
        message = json.loads(line.decode("utf-8") or "{}")
        if message.get("type") == "shutdown":
            break
        bridge.request_id = str(message.get("id"))
        peak_was_reset = _reset_peak_rss()
        scope = _RequestScope()
        try:
            scope.apply(message)
            event: Dict[str, Any] = {"type": "result", "result": handler(message.get("request") or {}, bridge)}
        except BaseException as error:  # noqa: BLE001 - a failure ends this request only
            event = classify_exception(error)
            event.update({"type": "error", "traceback": traceback.format_exc()})
            sys.stderr.write(event["traceback"])
        finally:
            scope.restore()
            if after_request is not None:
                after_request()
        import gc

        gc.collect()
        event.update(_request_memory(peak_was_reset))
        sys.stderr.write(REQUEST_END_MARKER + bridge.request_id + "\n")
        sys.stderr.flush()
        bridge._emit(event)
        bridge.request_id = None
    sys.stderr.flush()
    os._exit(0)


def run(handler: Callable[[Dict[str, Any], Bridge], Any], after_request: Optional[Callable[[], None]] = None) -> None:
    """Reads the request, runs `handler`, and reports its result or its failure.

    In serve mode (``GPUX_BRIDGE_SERVE=1``) it handles requests until stdin closes instead, calling
    `after_request` (when given) after each one to drop framework state (a Keras session).
    """
    bridge = Bridge(_take_over_stdout())
    if os.environ.get("GPUX_BRIDGE_SERVE") == "1":
        _serve(handler, bridge, after_request)
    try:
        request = read_request()
        result = handler(request, bridge)
        bridge._emit({"type": "result", "result": result, "peakRssBytes": peak_rss_bytes()})
    except BaseException as error:  # noqa: BLE001 - every failure must reach the caller as an event
        event = classify_exception(error)
        event.update({"type": "error", "traceback": traceback.format_exc(), "peakRssBytes": peak_rss_bytes()})
        try:
            bridge._emit(event)
        finally:
            sys.stderr.write(event["traceback"])
            sys.stderr.flush()
        os._exit(1)
    sys.stderr.flush()
    # Skip interpreter teardown: frameworks' atexit hooks and thread joins only cost time here.
    os._exit(0)

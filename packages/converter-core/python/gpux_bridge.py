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
Without it, the request is all of stdin (read to EOF). Scripts use it like this:

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

    def _emit(self, event: Dict[str, Any]) -> None:
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
    """Reads the request line from stdin, then reads on to EOF and ends the process there."""

    def __init__(self) -> None:
        self.request_line = b""
        self.request_ready = threading.Event()
        threading.Thread(target=self._watch, name="gpux-parent-watchdog", daemon=True).start()

    def _watch(self) -> None:
        pending = b""
        try:
            while True:
                chunk = os.read(0, 65536)
                if not chunk:
                    break
                if not self.request_ready.is_set():
                    pending += chunk
                    if b"\n" in pending:
                        self.request_line = pending.split(b"\n", 1)[0]
                        self.request_ready.set()
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
    _parent_watch.request_ready.wait()
    return json.loads(_parent_watch.request_line.decode("utf-8") or "{}")


def run(handler: Callable[[Dict[str, Any], Bridge], Any]) -> None:
    """Reads the request, runs `handler`, and reports its result or its failure."""
    bridge = Bridge(_take_over_stdout())
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

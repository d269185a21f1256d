"""The Python half of GPUX Convert's bridge.

A script run by converter-core's `runPythonScript` reads one JSON request from stdin and writes
newline-delimited JSON events to the *original* stdout:

    {"type": "progress", "phase": "export", "percent": 40.0, "message": "..."}
    {"type": "log", "level": "info", "message": "..."}
    {"type": "result", "result": {...}, "peakRssBytes": 123}
    {"type": "error", "code": "EXPORT_FAILED", "message": "...", "details": {...}, "traceback": "..."}

Everything else that Python code or native libraries print to stdout is redirected to stderr,
so chatty frameworks cannot corrupt the event stream. Scripts use it like this:

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
import sys
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


def run(handler: Callable[[Dict[str, Any], Bridge], Any]) -> None:
    """Reads the request, runs `handler`, and reports its result or its failure."""
    bridge = Bridge(_take_over_stdout())
    try:
        request = json.loads(sys.stdin.read() or "{}")
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

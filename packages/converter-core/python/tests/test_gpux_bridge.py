"""Tests of gpux_bridge.py and gpux_inspect_environment.py (run: python3 -m pytest packages/converter-core/python/tests)."""

import json
import os
import subprocess
import sys
import time

import pytest

PYTHON_DIRECTORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, PYTHON_DIRECTORY)

import gpux_bridge  # noqa: E402
import gpux_inspect_environment  # noqa: E402

SCRIPT = """
import os
from gpux_bridge import BridgeError, run

def handle(request, bridge):
    print("chatty framework output")
    bridge.progress("export", 50, "half way")
    if request.get("fail") == "bridge":
        raise BridgeError("INVALID_MODEL_FILE", "bad file", {"path": "x.onnx"})
    if request.get("fail") == "module":
        import not_a_module_either
    return {"doubled": request["value"] * 2}

run(handle)
"""


def run_script(tmp_path, request):
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    environment = dict(os.environ, PYTHONPATH=PYTHON_DIRECTORY)
    completed = subprocess.run(
        [sys.executable, "-u", str(script)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    events = [json.loads(line) for line in completed.stdout.splitlines() if line.strip()]
    return completed, events


def test_result_and_progress_reach_stdout_and_prints_go_to_stderr(tmp_path):
    completed, events = run_script(tmp_path, {"value": 21})
    assert completed.returncode == 0
    assert events[0] == {"type": "progress", "phase": "export", "percent": 50.0, "message": "half way"}
    assert events[-1]["type"] == "result"
    assert events[-1]["result"] == {"doubled": 42}
    assert events[-1]["peakRssBytes"] > 1024 * 1024
    assert "chatty framework output" in completed.stderr
    assert "chatty framework output" not in completed.stdout


def test_bridge_error_keeps_its_code_and_details(tmp_path):
    completed, events = run_script(tmp_path, {"fail": "bridge"})
    assert completed.returncode == 1
    assert events[-1]["type"] == "error"
    assert events[-1]["code"] == "INVALID_MODEL_FILE"
    assert events[-1]["details"] == {"path": "x.onnx"}
    assert "BridgeError" in events[-1]["traceback"]


def test_missing_module_names_the_module(tmp_path):
    _, events = run_script(tmp_path, {"fail": "module"})
    assert events[-1]["code"] == "PYTHON_DEPENDENCY_MISSING"
    assert events[-1]["details"]["module"] == "not_a_module_either"


@pytest.mark.parametrize(
    "error, code",
    [
        (MemoryError(), "OUT_OF_MEMORY"),
        # torch's CPU allocator, as torch 2.x words it for a tensor larger than RAM + overcommit allows
        (RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: you tried to allocate 512000000000 bytes. Error code 12 (Cannot allocate memory)"), "OUT_OF_MEMORY"),
        (type("OutOfMemoryError", (RuntimeError,), {})("CUDA out of memory"), "OUT_OF_MEMORY"),
        (RuntimeError("shape mismatch"), "EXPORT_FAILED"),
        (ValueError("nope"), "EXPORT_FAILED"),
        (ModuleNotFoundError("x", name="torch.nn"), "PYTHON_DEPENDENCY_MISSING"),
    ],
)
def test_classify_exception(error, code):
    event = gpux_bridge.classify_exception(error)
    assert event["code"] == code
    if code == "PYTHON_DEPENDENCY_MISSING":
        assert event["details"]["module"] == "torch"
    if code == "EXPORT_FAILED":
        assert event["message"] == f"{type(error).__name__}: {error}"
    if code == "OUT_OF_MEMORY" and not isinstance(error, MemoryError):
        assert event["message"].startswith("The model needs more memory than the system could give (")


def test_inspect_environment_reports_versions_and_pins():
    report = gpux_inspect_environment.describe(
        {
            "requirements": [
                {"name": "pip", "specifier": ">=1"},
                {"name": "pip", "specifier": "==0.0.1"},
                {"name": "surely-not-installed-gpux", "specifier": ""},
                {"name": "surely-not-installed-gpux", "specifier": "", "marker": "python_version < '3'"},
            ]
        }
    )
    assert report["pythonVersion"].startswith("%d.%d." % sys.version_info[:2])
    satisfied = [item["satisfied"] for item in report["packages"]]
    assert satisfied == [True, False, False, True]
    assert report["packages"][2]["installed"] is None
    assert report["packages"][3]["applies"] is False


HANGING_SCRIPT = """
import time
from gpux_bridge import run

def handle(request, bridge):
    bridge.progress("export", 1, "hanging")
    while True:
        time.sleep(0.1)

run(handle)
"""


def _is_gone(pid):
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def _wait_gone(pid, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _is_gone(pid):
            return True
        time.sleep(0.02)
    return _is_gone(pid)


def test_watched_script_exits_when_stdin_closes(tmp_path):
    script = tmp_path / "hang.py"
    script.write_text(HANGING_SCRIPT)
    environment = dict(os.environ, PYTHONPATH=PYTHON_DIRECTORY, GPUX_BRIDGE_PARENT_PID=str(os.getpid()))
    child = subprocess.Popen([sys.executable, "-u", str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment)
    child.stdin.write(b'{"value": 1}\n')
    child.stdin.flush()
    assert json.loads(child.stdout.readline())["message"] == "hanging"
    started = time.monotonic()
    child.stdin.close()
    assert child.wait(timeout=5) == gpux_bridge.PARENT_GONE_EXIT_CODE
    assert time.monotonic() - started < 1.0


def test_watched_script_exits_at_once_when_started_by_another_parent(tmp_path):
    script = tmp_path / "hang.py"
    script.write_text(HANGING_SCRIPT)
    environment = dict(os.environ, PYTHONPATH=PYTHON_DIRECTORY, GPUX_BRIDGE_PARENT_PID="1")
    completed = subprocess.run([sys.executable, "-u", str(script)], input=b"{}\n", capture_output=True, env=environment, timeout=30)
    assert completed.returncode == gpux_bridge.PARENT_GONE_EXIT_CODE
    assert completed.stdout == b""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_watched_script_dies_within_a_second_of_its_parent_being_killed(tmp_path):
    script = tmp_path / "hang.py"
    script.write_text(HANGING_SCRIPT)
    # A middle process starts the script the way runPythonScript does (stdin kept open), then is SIGKILLed.
    middle = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, subprocess, sys, time\n"
            "env = dict(os.environ, GPUX_BRIDGE_PARENT_PID=str(os.getpid()))\n"
            "child = subprocess.Popen([sys.executable, '-u', sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)\n"
            "child.stdin.write(b'{}\\n'); child.stdin.flush()\n"
            "child.stdout.readline()\n"
            "print(child.pid, flush=True)\n"
            "time.sleep(120)\n",
            str(script),
        ],
        stdout=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=PYTHON_DIRECTORY),
    )
    child_pid = int(middle.stdout.readline())
    assert not _is_gone(child_pid)
    middle.kill()
    middle.wait(timeout=10)
    assert _wait_gone(child_pid, 1.0)


def _serve(tmp_path, script_text, parent_pid=None):
    script = tmp_path / "serve.py"
    script.write_text(script_text)
    environment = dict(os.environ, PYTHONPATH=PYTHON_DIRECTORY, GPUX_BRIDGE_SERVE="1")
    environment["GPUX_BRIDGE_PARENT_PID"] = str(parent_pid if parent_pid is not None else os.getpid())
    return subprocess.Popen(
        [sys.executable, "-u", str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment
    )


def _send(child, message):
    child.stdin.write((json.dumps(message) + "\n").encode("utf-8"))
    child.stdin.flush()


def _read_until_outcome(child):
    events = []
    while True:
        event = json.loads(child.stdout.readline())
        events.append(event)
        if event["type"] in ("result", "error"):
            return events


def test_serve_mode_answers_requests_in_turn_and_exits_on_eof(tmp_path):
    child = _serve(tmp_path, SCRIPT)
    assert json.loads(child.stdout.readline())["type"] == "ready"
    _send(child, {"type": "request", "id": "a", "request": {"value": 2}})
    first = _read_until_outcome(child)
    _send(child, {"type": "request", "id": "b", "request": {"fail": "bridge"}})
    second = _read_until_outcome(child)
    _send(child, {"type": "request", "id": "c", "request": {"value": 5}})
    third = _read_until_outcome(child)
    assert first[0] == {"type": "progress", "phase": "export", "percent": 50.0, "message": "half way", "requestId": "a"}
    assert first[-1]["result"] == {"doubled": 4} and first[-1]["requestId"] == "a"
    assert first[-1]["peakRssBytes"] > 1024 * 1024 and first[-1]["rssBytes"] > 1024 * 1024
    assert second[-1]["type"] == "error" and second[-1]["code"] == "INVALID_MODEL_FILE" and second[-1]["requestId"] == "b"
    assert third[-1]["result"] == {"doubled": 10}
    child.stdin.close()
    assert child.wait(timeout=5) == gpux_bridge.PARENT_GONE_EXIT_CODE
    stderr = child.stderr.read().decode("utf-8")
    # Each request's stderr ends with its marker line, in order.
    markers = [line for line in stderr.split("\n") if line.startswith(gpux_bridge.REQUEST_END_MARKER)]
    assert markers == [gpux_bridge.REQUEST_END_MARKER + name for name in ("a", "b", "c")]
    assert stderr.index("BridgeError") > stderr.index(markers[0]) and stderr.index("BridgeError") < stderr.index(markers[1])


def test_serve_mode_forgets_modules_a_request_imported_from_outside_the_interpreter(tmp_path):
    # Outside the script's folder (whose modules a worker keeps).
    models = tmp_path.parent / (tmp_path.name + "-models")
    models.mkdir()
    script = """
import sys
from gpux_bridge import run

def handle(request, bridge):
    sys.path.insert(0, request["folder"])
    import user_model
    return {"value": user_model.VALUE, "json": "json" in sys.modules}

run(handle)
"""
    child = _serve(tmp_path, script)
    child.stdout.readline()
    results = []
    for value in (1, 2):
        (models / "user_model.py").write_text("VALUE = %d\n" % (value * 11))
        _send(child, {"type": "request", "id": str(value), "request": {"folder": str(models)}})
        results.append(_read_until_outcome(child)[-1]["result"])
    child.stdin.close()
    child.wait(timeout=5)
    # The second request imports its own copy of the model's module, not the first request's.
    assert results == [{"value": 11, "json": True}, {"value": 22, "json": True}]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_serve_mode_worker_dies_with_its_parent_in_the_middle_of_a_request(tmp_path):
    script = tmp_path / "hang.py"
    script.write_text(HANGING_SCRIPT)
    middle = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import json, os, subprocess, sys, time\n"
            "env = dict(os.environ, GPUX_BRIDGE_PARENT_PID=str(os.getpid()), GPUX_BRIDGE_SERVE='1')\n"
            "child = subprocess.Popen([sys.executable, '-u', sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)\n"
            "child.stdin.write(b'{\"type\": \"request\", \"id\": \"r1\", \"request\": {}}\\n'); child.stdin.flush()\n"
            "child.stdout.readline(); child.stdout.readline()\n"
            "print(child.pid, flush=True)\n"
            "time.sleep(120)\n",
            str(script),
        ],
        stdout=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=PYTHON_DIRECTORY),
    )
    child_pid = int(middle.stdout.readline())
    assert not _is_gone(child_pid)
    middle.kill()
    middle.wait(timeout=10)
    assert _wait_gone(child_pid, 1.0)

"""Checks that run before torch is imported (importing torch and transformers takes seconds): the
config and custom-code rules of a Hugging Face directory, the permission to import a module, the
safetensors headers against the file sizes, and the pickled objects a `pytorch_model.bin` names.

The pickle check reads the opcodes of `data.pkl` without executing them: any global outside torch's
tensor rebuild functions and `collections.OrderedDict` (a class instance, `builtins.open`, `os.system`...)
refuses the file. transformers then loads the weights with `torch.load(weights_only=True)`, a second
gate for what this scan lets through.
"""

from __future__ import annotations

import json
import os
import pickletools
import struct
import zipfile
from typing import Any, Dict, List, Optional, Tuple

from bridge_errors import BridgeError
from tasks import SUPPORTED_TASKS

INPUT_SPEC_HINT = (
    "To export a model this adapter does not know, wrap it in a Python function that returns an nn.Module and "
    "pass source 'module:function' with adapterOptions.allowPythonModule=true and an explicit inputSpec "
    "(names, dtypes and shapes with symbolic dims such as 'batch_size')."
)

_SAFE_GLOBALS = {("collections", "OrderedDict"), ("builtins", "set"), ("builtins", "frozenset")}
_SAFE_MODULE_PREFIXES = ("torch",)
_STRING_OPCODES = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING", "BINSTRING", "STRING"}


def read_config(model_directory: str) -> Dict[str, Any]:
    """config.json as a dict, or UNSUPPORTED_ARCHITECTURE when it is missing or unreadable."""
    try:
        with open(os.path.join(model_directory, "config.json"), "r", encoding="utf-8") as handle:
            raw = json.load(handle)
    except (OSError, ValueError):
        raw = None
    if not isinstance(raw, dict) or not raw:
        raise BridgeError(
            "UNSUPPORTED_ARCHITECTURE",
            f"{model_directory} has no readable config.json, so the architecture and its inputs are unknown. "
            f"Tasks this adapter exports: {', '.join(SUPPORTED_TASKS)}. {INPUT_SPEC_HINT}",
            {"supportedTasks": SUPPORTED_TASKS},
        )
    return raw


def check_custom_code(model_directory: str, raw: Dict[str, Any], trust_remote_code: bool) -> None:
    if raw.get("auto_map") and not trust_remote_code:
        raise BridgeError(
            "TRUST_REMOTE_CODE_REQUIRED",
            f"{model_directory} needs custom Python code shipped with the model (config.json auto_map: "
            f"{sorted(raw['auto_map'])}). Running it executes that code; review it and pass trustRemoteCode: true "
            "(--trust-remote-code) to allow it.",
            {"autoMap": raw["auto_map"]},
        )


def check_module_allowed(request: Dict[str, Any]) -> str:
    """The `module:function` spec of a python-module source, when the caller allowed importing it."""
    options = request.get("adapterOptions") or {}
    spec_text = str(options.get("module") or request["source"]["path"])
    if not (options.get("allowPythonModule") or request.get("trustRemoteCode")):
        raise BridgeError(
            "TRUST_REMOTE_CODE_REQUIRED",
            f"Exporting {spec_text!r} imports and runs that Python code. Pass adapterOptions.allowPythonModule: true "
            "(or trustRemoteCode: true) to allow it.",
            {"module": spec_text},
        )
    return spec_text


def _invalid(path: str, problem: str, extra: Optional[Dict[str, Any]] = None) -> BridgeError:
    return BridgeError(
        "INVALID_MODEL_FILE",
        f"The weights in {path} cannot be used: {problem}",
        {"path": path, **(extra or {})},
    )


def check_safetensors(path: str) -> None:
    """Compares the header's tensor offsets with the file size, so a truncated download fails early."""
    size = os.path.getsize(path)
    advice = "The file is corrupt or truncated: download it again (delete it from the cache first) or re-save the model."
    with open(path, "rb") as handle:
        prefix = handle.read(8)
        if len(prefix) < 8:
            raise _invalid(path, f"it is {size} bytes, too short for a safetensors header. {advice}")
        (header_length,) = struct.unpack("<Q", prefix)
        if header_length > min(size - 8, 100_000_000):
            raise _invalid(path, f"its header claims {header_length} bytes but the file has {size}: it is truncated. {advice}")
        try:
            header = json.loads(handle.read(header_length))
        except ValueError as error:
            raise _invalid(path, f"its header is not valid JSON ({error}). {advice}") from error
    ends = [entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__" and isinstance(entry, dict)]
    expected = 8 + header_length + max(ends, default=0)
    if size < expected:
        raise _invalid(path, f"it holds {size} bytes but its tensors need {expected}: it is truncated. {advice}",
                       {"expectedBytes": expected, "actualBytes": size})


def _pickle_globals(data: bytes) -> List[Tuple[str, str]]:
    """(module, name) of every GLOBAL / STACK_GLOBAL / INST in a pickle, read without unpickling it."""
    found: List[Tuple[str, str]] = []
    recent: List[Any] = []
    memo: Dict[int, Any] = {}
    for opcode, argument, _ in pickletools.genops(data):
        name = opcode.name
        if name in ("GLOBAL", "INST"):
            module, _, attribute = str(argument).partition(" ")
            found.append((module, attribute))
        elif name == "STACK_GLOBAL":
            module, attribute = (recent[-2], recent[-1]) if len(recent) >= 2 else (None, None)
            found.append((str(module), str(attribute)))
        if name in _STRING_OPCODES:
            recent.append(argument)
        elif name in ("BINPUT", "LONG_BINPUT", "PUT"):
            memo[int(argument)] = recent[-1] if recent else None
        elif name == "MEMOIZE":
            memo[len(memo)] = recent[-1] if recent else None
        elif name in ("BINGET", "LONG_BINGET", "GET"):
            recent.append(memo.get(int(argument)))
        elif name != "STACK_GLOBAL":
            recent.append(None)
    return found


def check_pickle_weights(path: str) -> None:
    """Refuses a torch zip checkpoint whose pickle names anything but tensors and plain containers."""
    if not zipfile.is_zipfile(path):
        return  # the legacy (pre-1.6) format: torch.load(weights_only=True) decides
    try:
        with zipfile.ZipFile(path) as archive:
            pickles = [entry for entry in archive.namelist() if entry.endswith("/data.pkl") or entry == "data.pkl"]
            payloads = [archive.read(entry) for entry in pickles]
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise _invalid(path, f"the zip archive is damaged ({error}). Download it again or re-save the model.") from error
    for payload in payloads:
        try:
            names = _pickle_globals(payload)
        except Exception as error:  # noqa: BLE001 - a pickle pickletools cannot read is damaged
            raise _invalid(path, f"its pickle is damaged ({type(error).__name__}: {error}).") from error
        for module, attribute in names:
            if (module, attribute) in _SAFE_GLOBALS or module.split(".")[0] in _SAFE_MODULE_PREFIXES:
                continue
            raise _invalid(
                path,
                f"its pickle would create the Python object {module}.{attribute}, which is not a tensor. GPUX never "
                "unpickles arbitrary objects (they can run code). Re-save the weights as safetensors from a trusted "
                "environment (model.save_pretrained(directory)).",
                {"global": f"{module}.{attribute}"},
            )


def check_weight_files(model_directory: str) -> None:
    """Checks every safetensors file (and the shards an index names) and every pytorch_model*.bin."""
    names = sorted(os.listdir(model_directory))
    index_name = "model.safetensors.index.json"
    if index_name in names:
        try:
            with open(os.path.join(model_directory, index_name), "r", encoding="utf-8") as handle:
                shards = sorted(set(json.load(handle)["weight_map"].values()))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise _invalid(os.path.join(model_directory, index_name), f"the shard index is unreadable ({error}).") from error
        missing = [shard for shard in shards if shard not in names]
        if missing:
            raise _invalid(model_directory, f"the shards {', '.join(missing)} named in {index_name} are missing. "
                           "Download the whole model again.", {"missingShards": missing})
    for name in names:
        full = os.path.join(model_directory, name)
        if name.endswith(".safetensors"):
            check_safetensors(full)
        elif name.startswith("pytorch_model") and name.endswith(".bin"):
            check_pickle_weights(full)


def preflight(request: Dict[str, Any]) -> None:
    """Every check that needs no torch; raises BridgeError on the first problem."""
    source_format = request["detection"]["format"]
    if source_format == "hf-transformers":
        directory = request["source"]["path"]
        raw = read_config(directory)
        check_custom_code(directory, raw, bool(request.get("trustRemoteCode")))
        check_weight_files(directory)
    elif source_format == "python-module":
        check_module_allowed(request)

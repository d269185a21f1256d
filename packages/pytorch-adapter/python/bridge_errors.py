"""Maps torch, safetensors and exporter failures to converter-core's error codes."""

from __future__ import annotations

import re
from typing import List, Optional

from gpux_bridge import BridgeError

__all__ = ["BridgeError", "invalid_model_file_error", "looks_like_corrupt_weights", "unsupported_operator_error"]

_CORRUPT_MARKERS = (
    "safetensorerror",
    "error while deserializing header",
    "invalid header",
    "incomplete metadata",
    "pytorchstreamreader failed",
    "failed finding central directory",
    "not a zip file",
    "badzipfile",
    "unpicklingerror",
    "invalid load key",
    "ran out of input",
    "unexpected eof",
    "file is too short",
    "constants.pkl",
)


def _describe(error: BaseException) -> str:
    parts = []
    current: Optional[BaseException] = error
    while current is not None and len(parts) < 5:
        parts.append(f"{type(current).__module__}.{type(current).__name__}: {current}")
        current = current.__cause__ or current.__context__
    return " | ".join(parts)


def looks_like_corrupt_weights(error: BaseException) -> bool:
    text = _describe(error).lower()
    return any(marker in text for marker in _CORRUPT_MARKERS)


def invalid_model_file_error(path: str, error: BaseException) -> BridgeError:
    return BridgeError(
        "INVALID_MODEL_FILE",
        f"The weights in {path} cannot be read ({type(error).__name__}: {str(error)[:300]}). The file is corrupt or "
        "truncated: download it again (delete it from the cache first) or re-save the model.",
        {"path": path, "exceptionType": type(error).__name__},
    )


_OPERATOR_PATTERNS = (
    re.compile(r"operator '?(aten::[A-Za-z0-9_]+)'?"),
    re.compile(r"(aten[.:]{1,2}[A-Za-z0-9_]+)"),
    re.compile(r"(prim::[A-Za-z0-9_]+)"),
)


def parse_unsupported_operator(message: str) -> Optional[str]:
    lowered = message.lower()
    if not any(marker in lowered for marker in ("not supported", "unsupported", "no onnx function", "no decomposition", "no symbolic")):
        return None
    for pattern in _OPERATOR_PATTERNS:
        match = pattern.search(message)
        if match:
            return match.group(1).replace(".default", "")
    return None


def _helpful_opsets(message: str, opset: int) -> List[int]:
    found = [int(value) for value in re.findall(r"added in (?:opset )?version (\d+)", message)]
    found += [int(value) for value in re.findall(r"opset(?:_version)?\s*(?:>=|version)\s*(\d+)", message)]
    return sorted({value for value in found if value != opset})


def unsupported_operator_error(messages: List[str], opset: int) -> Optional[BridgeError]:
    """A BridgeError naming the operator, when one of the exporter messages is an unsupported-op failure."""
    for message in messages:
        operator = parse_unsupported_operator(message)
        if operator is None:
            continue
        opsets = sorted({value for text in messages for value in _helpful_opsets(text, opset)})
        advice = (
            f"Opsets that support it: {', '.join(map(str, opsets))}; pass opset {opsets[0]}."
            if opsets
            else "No opset this exporter knows supports it; replace the operation in the model code or register a "
            "custom translation (torch.onnx.export custom_translation_table)."
        )
        return BridgeError(
            "UNSUPPORTED_OPERATOR",
            f"The ONNX exporter cannot convert the operator {operator} at opset {opset}. {advice}",
            {"operator": operator, "opset": opset, "helpfulOpsets": opsets, "exporterMessages": [m[:2000] for m in messages]},
        )
    return None

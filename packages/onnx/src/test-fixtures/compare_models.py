"""Compares two ONNX models the way the round-trip tests need it.

Usage: python compare_models.py ORIGINAL ROUNDTRIP
Loads both (external data included), runs onnx.checker.check_model on the round trip (by path, so
external data is checked too) and prints one JSON line:
{"checker": "ok" | error text, "identical_bytes": bool, "equal_messages": bool, "differences": [...]}
identical_bytes compares the files' own bytes; equal_messages compares the loaded ModelProtos
(external data resolved), which is the meaning-level equality.
"""
import json
import sys

import onnx


def differences(left: onnx.ModelProto, right: onnx.ModelProto) -> list[str]:
    found = []
    for field in ("ir_version", "producer_name", "producer_version", "domain", "model_version", "doc_string"):
        if getattr(left, field) != getattr(right, field):
            found.append(field)
    for field in ("opset_import", "metadata_props", "functions", "training_info"):
        if list(getattr(left, field)) != list(getattr(right, field)):
            found.append(field)
    for field in ("node", "initializer", "sparse_initializer", "input", "output", "value_info", "metadata_props"):
        if list(getattr(left.graph, field)) != list(getattr(right.graph, field)):
            found.append("graph." + field)
    return found


def main() -> None:
    original_path, roundtrip_path = sys.argv[1], sys.argv[2]
    try:
        onnx.checker.check_model(roundtrip_path)
        checker = "ok"
    except Exception as error:  # noqa: BLE001 - reported to the test
        checker = str(error)
    with open(original_path, "rb") as handle:
        original_bytes = handle.read()
    with open(roundtrip_path, "rb") as handle:
        roundtrip_bytes = handle.read()
    original = onnx.load(original_path)
    roundtrip = onnx.load(roundtrip_path)
    print(
        json.dumps(
            {
                "checker": checker,
                "identical_bytes": original_bytes == roundtrip_bytes,
                "equal_messages": original == roundtrip,
                "differences": differences(original, roundtrip),
            }
        )
    )


if __name__ == "__main__":
    main()

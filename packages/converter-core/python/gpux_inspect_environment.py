"""Describes a Python interpreter for converter-core's environment manager.

Reads one JSON request from stdin, ``{"requirements": [{"name": "six", "specifier": "==1.16.0",
"marker": ""}]}``, and writes one JSON object to stdout: the interpreter's version, platform and
tools (venv, ensurepip, pip), and for each requirement the installed version and whether it
satisfies the specifier. Uses only the standard library (plus pip's vendored ``packaging`` when it
is there), so it runs in a bare base interpreter as well as in a managed environment.
"""

from __future__ import annotations

import importlib.util
import json
import platform
import sys
import sysconfig
from importlib import metadata


def _load_packaging():
    for prefix in ("packaging", "pip._vendor.packaging"):
        try:
            specifiers = __import__(prefix + ".specifiers", fromlist=["SpecifierSet"])
            markers = __import__(prefix + ".markers", fromlist=["Marker"])
            return specifiers.SpecifierSet, markers.Marker
        except Exception:  # noqa: BLE001 - any failure means "not available"
            continue
    return None, None


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except Exception:  # noqa: BLE001
        return False


def _satisfies(version: str, specifier: str, specifier_set_class) -> bool:
    if specifier == "":
        return True
    if specifier_set_class is not None:
        try:
            return specifier_set_class(specifier).contains(version, prereleases=True)
        except Exception:  # noqa: BLE001 - fall back to the plain comparison below
            pass
    if specifier.startswith("==") and not specifier.startswith("==="):
        pinned = specifier[2:].strip()
        if pinned.endswith(".*"):
            return version.startswith(pinned[:-1])
        return version == pinned or version.split("+")[0] == pinned
    return True


def _applies(marker: str, marker_class) -> bool:
    if marker == "" or marker_class is None:
        return True
    try:
        return bool(marker_class(marker).evaluate())
    except Exception:  # noqa: BLE001
        return True


def describe(request: dict) -> dict:
    specifier_set_class, marker_class = _load_packaging()
    packages = []
    for requirement in request.get("requirements", []):
        name = requirement["name"]
        specifier = requirement.get("specifier", "")
        applies = _applies(requirement.get("marker", ""), marker_class)
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        packages.append(
            {
                "name": name,
                "specifier": specifier,
                "applies": applies,
                "installed": installed,
                "satisfied": (not applies) or (installed is not None and _satisfies(installed, specifier, specifier_set_class)),
            }
        )
    return {
        "pythonVersion": platform.python_version(),
        "implementation": sys.implementation.cache_tag or sys.implementation.name,
        "platform": sysconfig.get_platform(),
        "machine": platform.machine(),
        "executable": sys.executable,
        "prefix": sys.prefix,
        "basePrefix": sys.base_prefix,
        "hasVenv": _has_module("venv"),
        "hasEnsurepip": _has_module("ensurepip"),
        "hasPip": _has_module("pip"),
        "packages": packages,
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(describe(json.loads(sys.stdin.read() or "{}"))))
    sys.stdout.flush()

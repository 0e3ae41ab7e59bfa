"""What the machine and the installation offer: the cores this process may use, an installed package's
version. Engines and the cluster ask here instead of each asking the system its own way."""

from __future__ import annotations

import importlib.metadata
import os


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers and ``taskset`` narrow; all of
    the machine's where the system cannot say)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def package_version(name: str) -> str:
    """The installed distribution ``name``'s version, or "unknown" (part of the engines' cache keys)."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def cpu_signature() -> str:
    """12 hex digits naming this machine's instruction set (its architecture and, on Linux, the CPU's feature
    flags): what a model optimized for this CPU (ONNX Runtime's blocked layouts) may depend on."""
    import hashlib
    import platform

    flags = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith(("flags", "Features")):
                    flags = " ".join(sorted(line.partition(":")[2].split()))
                    break
    except OSError:  # not Linux: the processor's name stands for its features
        flags = platform.processor()
    return hashlib.sha256(f"{platform.machine()}|{flags}".encode()).hexdigest()[:12]


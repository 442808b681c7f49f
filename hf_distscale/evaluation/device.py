"""The torch device a verb evaluates on, checked before any model loads.

`--device` names a torch device (`cpu`, `cuda`, `cuda:1`, `mps`, ...); left
out, it is CUDA where there is one, else the CPU. A misspelt name, a device
type this machine does not have (`cuda` on a CPU-only install) or a GPU index
beyond the ones present is one line that lists the devices there are.
"""

from __future__ import annotations


def resolve_device(name: str | None) -> str:
    """`name` once checked against this machine's devices, or the default; a ValueError otherwise."""
    import torch  # heavy: a verb calls this after its instant checks

    present = available_devices()
    if name is None:
        return "cuda" if "cuda" in present else "cpu"
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        device = None
    if device is None or device.type not in present:
        problem = "is not a torch device name" if device is None else f"is not on this machine ({device.type})"
        raise ValueError(f"--device: {name!r} {problem}; give one of {', '.join(present)}, or leave --device out "
                         f"(CUDA where there is one, else the CPU)")
    if device.index is not None and device.type != "cpu" and device.index >= present[device.type]:
        raise ValueError(f"--device: {name!r}: this machine has {present[device.type]} {device.type} device(s), "
                         f"numbered from 0; give one of {', '.join(present)}")
    return name


def available_devices() -> dict[str, int]:
    """Device type -> how many this process can use: the CPU, and any accelerator torch finds."""
    import torch

    present = {"cpu": 1}
    if torch.cuda.is_available():
        present["cuda"] = torch.cuda.device_count()
    if torch.backends.mps.is_available():
        present["mps"] = 1
    xpu = getattr(torch, "xpu", None)
    if xpu is not None and xpu.is_available():
        present["xpu"] = xpu.device_count()
    return present

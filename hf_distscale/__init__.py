"""hf_distscale: distributional scaling of emergent capabilities across seed populations."""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"


def lazy_exports(package: str, exports: dict[str, str]):
    """A package's `__getattr__` that imports each public name from its module on first use.

    `exports` maps name -> module. Stage packages hold their CLI verbs, so
    importing a package for `hf-distscale --help` must not load torch,
    transformers or datasets; `from package import name` still works.
    """
    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(exports[name]), name)

    return __getattr__

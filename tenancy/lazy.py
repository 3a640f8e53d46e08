"""Heavy libraries imported on first use, not when the module naming them is imported.

numpy, scipy, scikit-learn and krippendorff cost a web worker ≈110 MB at start-up while
only the recommender, the learned scorers and a few statistics panels use them. A module
that needs one writes ``np = lazy_module("numpy")`` and uses ``np.…`` as before: the first
attribute read imports the real module (once per process; later reads are a dictionary
look-up in ``sys.modules``). Annotations that name such a module must not be evaluated at
import (``from __future__ import annotations``). Nothing is put in ``sys.modules`` until the
first use, so ``import config.wsgi`` loads none of them (tests/test_lean_startup.py).
"""

import importlib
from types import ModuleType


class LazyModule:
    """Stands for the module ``name`` until an attribute is read from it."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(self.load(), attr)

    def load(self) -> ModuleType:
        return importlib.import_module(self._name)

    def __repr__(self) -> str:
        return f"<lazy module {self._name!r}>"


def lazy_module(name: str) -> LazyModule:
    return LazyModule(name)

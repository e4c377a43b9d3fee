"""Load a script of ``bench/`` or ``scripts/`` (folders of scripts, not packages) by its path."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

from tests.conftest import REPO_ROOT


def load_script(relative_path: str) -> ModuleType:
    """The module of ``REPO_ROOT / relative_path``, loaded once per process under its file's
    name (registered first: its dataclasses look their module up while being defined)."""
    path = REPO_ROOT / relative_path
    name = path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module

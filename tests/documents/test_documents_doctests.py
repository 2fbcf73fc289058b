"""Run the documents package's doctests (pytest only collects doctests under `tests/`)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["documents.postal_address", "documents.rendering", "documents.labels",
           "documents.letters"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0

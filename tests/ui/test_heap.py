"""The server sets aside what its imports leave behind, once per batch of new modules."""

from __future__ import annotations

import gc
import sys
import types

from app.ui import heap


def test_new_modules_are_collected_and_frozen_once(monkeypatch):
    collections = []
    monkeypatch.setattr(heap.gc, "collect", lambda *a: collections.append(a) or 0)
    monkeypatch.setattr(heap, "_modules_settled", 0)
    try:
        assert heap.settle_after_new_imports() is True
        assert gc.get_freeze_count() > 0
        assert heap.settle_after_new_imports() is False  # nothing new: no collection
        assert len(collections) == 1
        monkeypatch.setitem(sys.modules, "a_page_opened_later", types.ModuleType("page"))
        assert heap.settle_after_new_imports() is True
        assert len(collections) == 2
    finally:
        gc.unfreeze()

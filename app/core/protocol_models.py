"""The dispatch-model codes, kept importable from here; their home is :mod:`app.core.protocol`."""

from app.core.protocol.codes import DISPATCH_MODELS

__all__ = ["DISPATCH_MODELS"]

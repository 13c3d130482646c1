"""The server's heap: what the imports leave behind is set aside, so collections stay short.

Python's full garbage collection walks every object the process holds. After this app's
imports (Streamlit, pandas, SQLAlchemy, Altair, …) that is ~170,000 objects and ~80 ms
holding the interpreter lock: a click that happens to trigger one waits for it, and so
does every other trainee on the server. Modules live as long as the process, so once
they are loaded they are collected once and frozen (``gc.freeze``): later collections
only walk what the reruns themselves made. Pages are imported when first opened, so this
runs again whenever new modules have appeared (a few times after the server starts).
"""

from __future__ import annotations

import gc
import sys

_modules_settled = 0  # len(sys.modules) at the last freeze


def settle_after_new_imports() -> bool:
    """Collect and freeze when modules were imported since the last time; True if it did."""
    global _modules_settled
    loaded = len(sys.modules)
    if loaded == _modules_settled:
        return False
    _modules_settled = loaded  # before collecting: a second thread need not do it again
    gc.collect()
    gc.freeze()
    return True

"""Start Ralph's LRS API (``ralph.api:app``) for the learning-record tests.

Run with Ralph's own interpreter (``.venv-ralph/bin/python``), never imported by pytest.
``ralph runserver`` would do the same, but it runs uvicorn with its reloader watching the
working folder, and its file-system backend creates its statements file on the first
write and refuses every later one. Here the backend appends instead: the API, its
statement models and its duplicate-id checks are Ralph's, unchanged.

Usage: python lrs_ralph_launcher.py HOST PORT (settings from RALPH_* variables).
"""

import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.data.fs import FSDataBackend

FSDataBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    uvicorn.run("ralph.api:app", host=sys.argv[1], port=int(sys.argv[2]), log_level="info")

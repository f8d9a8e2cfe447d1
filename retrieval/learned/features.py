"""The input a learned model reads: the text's embedding, and for some models the author's reach.

Why the reach: LABELS.md makes an influential author's negative public message a crisis even
when its text is an ordinary complaint, and the crises the text-only action model missed were
exactly those (an influential author's sarcasm or understatement that reads neutral). A flag
"influential author on a public channel" lets a linear model learn it, and the flag times the
embedding lets it learn which texts become crises with that reach (a complaint does, praise and
neutral news do not). The same function builds the features for training and at run time, so
the two cannot drift apart; the manifest names the feature set and its size is checked at load.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

EMBEDDING = "embedding"
# [embedding, reach flag, embedding x reach flag]: 2 * dim + 1 values.
EMBEDDING_REACH = "embedding+reach"
FEATURE_SETS = (EMBEDDING, EMBEDDING_REACH)


def feature_dim(features: str, embedding_dim: int) -> int:
    """How many inputs a model over `features` takes for an embedding of `embedding_dim`."""
    if features == EMBEDDING:
        return embedding_dim
    if features == EMBEDDING_REACH:
        return 2 * embedding_dim + 1
    raise ValueError(f"unknown feature set {features!r} (known: {', '.join(FEATURE_SETS)})")


def reach_flag(public: bool, influential: bool) -> float:
    """1.0 for an influential author (verified or >= 50,000 followers) on a public channel."""
    return 1.0 if public and influential else 0.0


def model_input(features: str, vectors: NDArray[Any], reach: NDArray[Any] | float) -> NDArray[np.float64]:
    """The features of one vector (1-d) or of a matrix of vectors (one row each)."""
    x = np.asarray(vectors, dtype=np.float64)
    if features == EMBEDDING:
        return x
    if features != EMBEDDING_REACH:
        feature_dim(features, x.shape[-1])  # raises with the known names
    flag = np.asarray(reach, dtype=np.float64)
    if x.ndim == 1:
        return np.concatenate([x, flag.reshape(1), x * float(flag)])
    column = np.broadcast_to(flag.reshape(-1, 1), (x.shape[0], 1))
    return np.hstack([x, column, x * column])

"""What the learned models cost per message beyond the embedding (run as a whole process, twice).

    python scripts/bench_learned_models.py load   # load the shipped models, make the vectors
    python scripts/bench_learned_models.py run    # the same, then read N vectors as the KB step does

The difference of the two runs' times, divided by N, is the per-message cost of the three linear
models, `Prediction.flat` and the nearest embedded examples (issue 10: at most 1 ms beyond the
embedding the KB step already computes). Random unit vectors stand in for message embeddings:
the cost of a product and a top-k does not depend on what the vector means.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retrieval.learned import LearnedModels  # noqa: E402

N = 5000


def main(argv: list[str] | None = None) -> int:
    mode = (argv if argv is not None else sys.argv[1:] or ["run"])[0]
    models = LearnedModels.load()
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(N, models.dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    if mode == "run":
        for vector in vectors:
            models.predict(vector).flat()
            models.nearest_examples(vector)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

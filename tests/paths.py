"""Where test data lives: the repository, the tests' own data and the steering repo's `../shared`."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = ROOT / "tests" / "data"
KB_SMALL = TEST_DATA / "kb_small"
SAMPLES = ROOT / "bot" / "samples"
SAMPLE_KB = SAMPLES / "kb"
SAMPLE_TRAFFIC = SAMPLES / "traffic.jsonl"
SHARED = ROOT.parent / "shared"

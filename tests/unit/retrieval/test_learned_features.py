"""The inputs of the learned models: the embedding alone, or with the author's reach."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.learned.features import EMBEDDING, EMBEDDING_REACH, feature_dim, model_input, reach_flag


def test_reach_is_set_only_for_influential_authors_on_public_channels() -> None:
    assert reach_flag(public=True, influential=True) == 1.0
    assert reach_flag(public=True, influential=False) == 0.0
    assert reach_flag(public=False, influential=True) == 0.0


def test_reach_features_are_embedding_flag_and_their_product() -> None:
    v = np.array([0.5, -0.25, 1.0])
    assert feature_dim(EMBEDDING_REACH, 3) == 7 and feature_dim(EMBEDDING, 3) == 3
    assert model_input(EMBEDDING_REACH, v, 1.0).tolist() == [0.5, -0.25, 1.0, 1.0, 0.5, -0.25, 1.0]
    assert model_input(EMBEDDING_REACH, v, 0.0).tolist() == [0.5, -0.25, 1.0, 0.0, 0.0, 0.0, 0.0]
    assert model_input(EMBEDDING, v, 1.0).tolist() == v.tolist()


def test_rows_of_a_matrix_get_the_same_features_as_one_vector_each() -> None:
    rng = np.random.default_rng(1)
    x, flags = rng.normal(size=(4, 5)), np.array([1.0, 0.0, 0.0, 1.0])
    batch = model_input(EMBEDDING_REACH, x, flags)
    assert batch.shape == (4, 11)
    for row, flag, got in zip(x, flags, batch, strict=True):
        assert np.array_equal(model_input(EMBEDDING_REACH, row, flag), got)


def test_an_unknown_feature_set_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown feature set 'bag'"):
        feature_dim("bag", 3)
    with pytest.raises(ValueError, match="unknown feature set"):
        model_input("bag", np.zeros(3), 0.0)

"""Learned decision models over the sentence embedding the KB step already computes.

Sentiment, the complaint intent and the action itself, as linear softmax models fitted offline
(`scripts/train_models.py`, scikit-learn) and shipped here as numpy arrays with a manifest. At
run time they are one matrix product per message: no scikit-learn, no training, no download.
"""

from retrieval.learned.models import (
    DEFAULT_DIR,
    LearnedModels,
    LinearModel,
    ModelsError,
    Prediction,
)

__all__ = ["DEFAULT_DIR", "LearnedModels", "LinearModel", "ModelsError", "Prediction"]

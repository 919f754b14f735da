"""Tag sentences of Chinese COVID-19 prevention articles with the policy measures they state."""

from .errors import InputError, LabelDataError, MeasuresError, ModelError
from .predictor import Article, Predictor, Sentence

__all__ = ["Article", "InputError", "LabelDataError", "MeasuresError", "ModelError", "Predictor", "Sentence"]

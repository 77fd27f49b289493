"""Data sources. Each says which source it used and how its values are scaled."""

from .mixtures import MIXTURE_STD, gaussian_mixture, mixture_centers
from .mnist import mnist
from .pattern import PATTERN, pattern1010

__all__ = ["MIXTURE_STD", "PATTERN", "gaussian_mixture", "mixture_centers", "mnist", "pattern1010"]

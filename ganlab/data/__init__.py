"""Data sources. Each says which source it used and how its values are scaled."""

from .celeba_files import celeba
from .faces import FACE_ATTRIBUTES, synthetic_faces
from .mixtures import MIXTURE_STD, gaussian_mixture, mixture_centers
from .mnist_files import mnist
from .pattern import PATTERN, pattern1010

__all__ = ["FACE_ATTRIBUTES", "MIXTURE_STD", "PATTERN", "celeba", "gaussian_mixture", "mixture_centers",
           "mnist", "pattern1010", "synthetic_faces"]

"""Data sources. Each says which source it used and how its values are scaled."""

from .mnist import mnist
from .pattern import PATTERN, pattern1010

__all__ = ["PATTERN", "mnist", "pattern1010"]

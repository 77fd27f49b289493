"""Data sources. Each says which source it used and how its values are scaled."""

from ..paths import count
from .celeba_files import celeba
from .faces import FACE_ATTRIBUTES, synthetic_faces
from .mixtures import MIXTURE_STD, gaussian_mixture, mixture_centers
from .mnist_files import mnist
from .pattern import PATTERN, pattern1010


def faces(n, *, size=32, seed=0, verbose=True):
    """(faces, source, stand_in): the first ``n`` CelebA photographs at ``size`` when CelebA is in
    the data folder, else ``n`` synthetic stand-in faces (drawn, labelled, not photographs).
    ``source`` names which, for every title and printout."""
    count(n, "faces", "n", hint=" (the number of faces)")
    try:
        return celeba(size=size).tensors(n), "CelebA photographs", False
    except FileNotFoundError:
        if verbose:
            print("CelebA is not in the data folder, so these are the drawn stand-in faces; "
                  "ganlab.data.celeba() says how to get CelebA")
        return synthetic_faces(n, size=size, seed=seed), "synthetic stand-in faces (drawn, not CelebA)", True


__all__ = ["faces", "FACE_ATTRIBUTES", "MIXTURE_STD", "PATTERN", "celeba", "gaussian_mixture", "mixture_centers",
           "mnist", "pattern1010", "synthetic_faces"]

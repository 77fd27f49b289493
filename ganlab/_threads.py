"""GANLAB_THREADS caps numpy's BLAS threads too (FID's eigh), not only torch's: on a loaded
machine a BLAS spinning on every core made one 1024×1024 eigh take minutes. BLAS libraries
read these variables once, when they load, so ganlab imports this module before torch and numpy.
A variable the user set stays as it is."""

import os

_n = os.environ.get("GANLAB_THREADS", "").strip()
if _n.isdigit() and int(_n) > 0:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, _n)

"""ganlab benchmarks: ``python -m benchmarks.run`` (or ``make bench``) writes benchmarks/RESULTS.md.

- ``throughput``: images/s of ganlab's training loop vs a plain PyTorch loop and the
  seed book's one-image-at-a-time loop, on identical models.
- ``quality``: wall-clock to reach quality targets (DCGAN-MNIST, ring8, grid25).
- ``options``: channels_last, torch.compile, AMP, batch size.
"""

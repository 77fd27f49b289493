"""ganlab benchmarks: ``python -m benchmarks.run`` (or ``make bench``) writes benchmarks/RESULTS.md.

``throughput``: ganlab's loop vs a plain PyTorch loop and the seed book's; ``quality``: DCGAN-MNIST
time to quality; ``options``: channels_last, torch.compile, threads, batch sizes.
"""

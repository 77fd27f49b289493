"""Metrics for generators: a local MNIST classifier, digit coverage, classifier-FID, 2-D mode coverage."""

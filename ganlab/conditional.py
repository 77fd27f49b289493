"""Conditional generators and discriminators: G(z, y), D(x, y)."""

"""WGAN-GP critics: no sigmoid, no batch norm."""

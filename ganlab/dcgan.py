"""DCGAN generators and discriminators (28×28 digits, 64×64 faces), following Radford et al. 2016."""

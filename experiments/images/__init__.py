"""Recipes of the image zoo (DCGAN-family networks on MNIST, Fashion-MNIST, CIFAR-10, CelebA)."""

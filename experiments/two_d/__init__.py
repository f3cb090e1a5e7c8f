"""Recipes on the 2D Gaussian mixtures (mode coverage)."""

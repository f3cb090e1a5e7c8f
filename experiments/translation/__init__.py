"""Recipes of the image-to-image translation games."""

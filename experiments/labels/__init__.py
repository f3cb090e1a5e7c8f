"""Recipes of the games with labels, codes or an autoencoder."""

"""Launchable recipes, one per GAN variant (`get_config()` each), and the studies built on them."""

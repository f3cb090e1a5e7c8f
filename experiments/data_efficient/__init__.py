"""Recipes for training with little data (`data.train_size`): the sngan recipe with DiffAugment,
ADA, LeCam regularization, consistency regularization (CR; bCR + zCR, "ICR"), and ADA + LeCam +
DiffAugment together (`jaxgan.techniques.data_efficient`); the study that compares them is
`experiments.studies.data_efficient`."""

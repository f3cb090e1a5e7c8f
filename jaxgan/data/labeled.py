"""Labeled subsets for semi-supervised training: a few labels chosen by seed, the rest unlabeled.

Only the labels of the chosen subset are ever used for training; the selection itself reads
labels in a seeded random order until every class has its share, and reports how many it read.
"""

import numpy as np

from jaxgan.data.images import ImageSource
from jaxgan.errors import DataError

SUBSET_SALT = 0x5E111  # keeps the subset's order independent of the batch permutations


def choose_labeled_subset(images, *, num_labeled, num_classes, seed, chunk=256):
    """A class-balanced subset of `num_labeled` examples (num_labeled / num_classes per class).

    Examples are visited in the order of a permutation drawn from (seed, SUBSET_SALT); an
    example joins when its class still has room. Returns (indices (num_labeled,) int64 in
    visiting order, labels (num_labeled,) int32, number of labels read to choose them).
    """
    if num_labeled % num_classes:
        raise DataError(f"num_labeled={num_labeled} must be a multiple of num_classes={num_classes} (balanced classes)")
    per_class = num_labeled // num_classes
    order = np.random.default_rng([seed, SUBSET_SALT]).permutation(len(images))
    counts = np.zeros(num_classes, np.int64)
    chosen, chosen_labels, read = [], [], 0
    for start in range(0, len(order), chunk):
        block = order[start : start + chunk]
        labels = np.asarray(images.take_labels(block))
        read += len(block)
        if labels.min() < 0 or labels.max() >= num_classes:
            raise DataError(
                f"{images.origin} has labels outside [0, {num_classes}): {sorted(set(labels.tolist()))[:12]}"
            )
        for index, label in zip(block, labels):
            if counts[label] < per_class:
                counts[label] += 1
                chosen.append(int(index))
                chosen_labels.append(int(label))
        if counts.sum() == num_labeled:
            return np.asarray(chosen, np.int64), np.asarray(chosen_labels, np.int32), read
    raise DataError(f"{images.origin} has too few examples of classes "
                     f"{[k for k in range(num_classes) if counts[k] < per_class]} for {per_class} labels each")


class Subset:
    """Random access to `images[indices]`, with the labels given (not read again)."""

    def __init__(self, images, indices, labels):
        self.images = images
        self.indices = np.asarray(indices)
        self.labels = np.asarray(labels, np.int32)
        self.shape = images.shape
        self.origin = f"{images.origin}[{len(self.indices)} labeled]"

    def __len__(self):
        return len(self.indices)

    def take(self, index):
        return self.images.take(self.indices[np.asarray(index)])

    def take_labels(self, index):
        return self.labels[np.asarray(index)]


class SemiSupervisedSource:
    """Unlabeled batches over all images plus labeled batches from a seeded subset per stream.

    `next(count)` returns {"x": (S, count, n_critic, B, ...), "x_labeled": (S, count, n_critic, L,
    ...), "y_labeled": (S, count, n_critic, L)}. The unlabeled batches never carry labels (as in
    Salimans et al. 2016, the labeled examples are also in the unlabeled pool). Stream s (seed
    `seed + s`) has its own subset, `subsets[s] = (indices, labels, labels_read)`.
    """

    def __init__(self, images, *, batch_size, labeled_batch_size, num_labeled, num_classes, n_critic=1, seed=0,
                 num_streams=1, process_index=0, process_count=1):
        common = dict(n_critic=n_critic, process_index=process_index, process_count=process_count)
        self.unlabeled = ImageSource(images, batch_size=batch_size, seed=seed, num_streams=num_streams, **common)
        self.subsets = [choose_labeled_subset(images, num_labeled=num_labeled, num_classes=num_classes, seed=seed + s)
                        for s in range(num_streams)]
        self.labeled = [ImageSource(Subset(images, indices, labels), batch_size=labeled_batch_size, seed=seed + s,
                                    with_labels=True, **common)
                        for s, (indices, labels, _) in enumerate(self.subsets)]

    def next(self, count):
        batches = [source.next(count) for source in self.labeled]
        return {"x": self.unlabeled.next(count)["x"],
                "x_labeled": np.concatenate([b["x"] for b in batches]),
                "y_labeled": np.concatenate([b["y"] for b in batches])}

    def get_state(self):
        return self.unlabeled.get_state()

    def set_state(self, state):
        self.unlabeled.set_state(state)
        for source in self.labeled:
            source.set_state(state)

    def records(self, seed):
        """{"labeled_subset": the labeled subsets (indices per seed, labels read to choose)}, JSON-ready."""
        return {"labeled_subset": [{"seed": seed + s, "indices": indices.tolist(), "labels": labels.tolist(),
                                    "labels_read_to_choose": int(read)}
                                   for s, (indices, labels, read) in enumerate(self.subsets)]}

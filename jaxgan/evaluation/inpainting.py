"""The context encoder's measure (`inpainting`), on the first `eval.num_samples` test images with
the held-out holes (`games.context_encoder.held_out_images`): a run's samples are those images
completed by its generator (the known pixels kept, the hole from its output).

Per seed, pixels in [0, 1] (Pathak et al. 2016, Table 2: mean L1, mean L2, PSNR of the filled
region): `hole_l1`, `hole_l2` (means over the hole pixels), `hole_psnr` (10 log10(1 / MSE) per
image over its hole, averaged over images); `completion_accuracy`, the shipped classifier's
accuracy on the completed images against the test labels (the completions' FID is `fid`). In the
protocol, the baseline every fill must beat, the hole filled with `game.hole_fill` alone
(`fill_l1`, `fill_l2`, `fill_psnr`, `fill_fid`, `fill_accuracy`), and the intact images'
`intact_fid` and `intact_accuracy`, FIDs against the run's reference set in its feature network.
With `workdir`, a grid PNG per seed: 16 test images with their holes white, completed, intact.
"""

import os

import jax
import numpy as np

from jaxgan import data
from jaxgan.evaluation.context import Context
from jaxgan.evaluation.features import extract, fake_features, in_batches, network, reference
from jaxgan.evaluation.samples import fid
from jaxgan.evaluation.translation import save_translation_grid
from jaxgan.games.context_encoder import held_out_images
from jaxgan.masks import fill

MAX_MSE = 1e-10  # an exact fill counts as 100 dB


def hole_errors(images, completed, holes) -> dict:
    """{hole_l1, hole_l2, hole_psnr} of `completed` against `images` (N, H, W, C) in [-1, 1] over
    the hidden pixels `holes` (N, H, W, 1), on the [0, 1] pixel scale."""
    diff = (np.asarray(completed, np.float64) - np.asarray(images, np.float64)) / 2.0
    hidden = np.broadcast_to(np.asarray(holes), diff.shape)
    count = hidden.reshape(len(diff), -1).sum(axis=1)
    if np.any(count == 0):
        raise ValueError("every image needs a hidden pixel to measure its fill")
    squared = np.where(hidden, np.square(diff), 0.0).reshape(len(diff), -1).sum(axis=1)
    absolute = np.where(hidden, np.abs(diff), 0.0).reshape(len(diff), -1).sum(axis=1)
    return {"hole_l1": float(absolute.sum() / count.sum()), "hole_l2": float(squared.sum() / count.sum()),
            "hole_psnr": float(np.mean(10.0 * np.log10(1.0 / np.maximum(squared / count, MAX_MSE))))}


def _accuracy(logits, labels) -> dict:
    if logits is None or labels is None:
        return {}
    return {"accuracy": float(np.mean(np.argmax(logits, axis=1) == labels))}


def _quality(ctx, images, labels, real_features) -> dict:
    logits, features = extract(network(ctx), in_batches(images, ctx.config.eval.batch_size))
    return {"fid": float(fid(real_features, features, key=ctx.key, logits=None, settings=ctx.settings)["fid"]),
            **_accuracy(logits, labels)}


def inpainting_measure(ctx: Context) -> tuple[list[dict], dict]:
    c = ctx.config
    samples = ctx.samples()
    n = samples.shape[1]
    images, holes = (np.asarray(a) for a in held_out_images(c, n))
    test = data.open_split(c.data, "test")
    labels = np.asarray(test.take_labels(np.arange(n))) if data.num_classes(c.data) else None
    description, real = reference(ctx)

    def baseline():
        filled = np.asarray(fill(images, holes, c.game.hole_fill))
        errors = hole_errors(images, filled, holes)
        quality = _quality(ctx, filled, labels, real)
        intact = _quality(ctx, images, labels, real)
        return {"fill_" + k.removeprefix("hole_"): v for k, v in errors.items()} | {
            "fill_fid": quality["fid"], **({"fill_accuracy": quality["accuracy"],
                                            "intact_accuracy": intact["accuracy"]} if "accuracy" in quality else {}),
            "intact_fid": intact["fid"]}

    base = ctx.memo(("inpainting_baseline", c.data.name, c.game.mask, n), baseline, per_run=True)
    per_seed = []
    for seed_index, completed in enumerate(samples):
        if ctx.workdir is not None and jax.process_index() == 0:
            name = f"inpainting_step_{ctx.step:08d}_seed_{c.seed + seed_index}.png"
            save_translation_grid((np.asarray(fill(images, holes, 1.0)), completed, images),
                                  os.path.join(ctx.workdir, "samples", name))
        logits, _ = fake_features(ctx, seed_index)  # the completions' features, shared with `fid`
        per_seed.append({**hole_errors(images, completed, holes),
                         **{"completion_" + k: v for k, v in _accuracy(logits, labels).items()}})
    protocol = {"images": f"the first {n} of the test split", "mask": c.game.mask,
                "hidden_fraction": float(np.mean(holes)), "pixels": "[0, 1]", "baseline": base,
                "feature_network": network(ctx).protocol, "reference": description}
    return per_seed, protocol

"""Train the small MNIST / Fashion-MNIST classifier whose features give a domain FID.

    ./run python -m experiments.studies.train_domain_classifier --dataset mnist --data-dir $JAXGAN_DATASETS/mnist
    ./run python -m experiments.studies.train_domain_classifier --dataset fashion_mnist \
        --data-dir $JAXGAN_DATASETS/fashion_mnist --epochs 15

Reads the official IDX files (no download), trains `jaxgan.metrics.domain_classifier.DomainClassifier`
with Adam and a cosine schedule, random +-2 pixel shifts, and writes
jaxgan/metrics/weights/<dataset>.npz (+ .json with the test accuracy, settings and SHA-256).
"""

import argparse
import datetime
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxgan.data.idx import load_idx_split
from jaxgan.metrics import domain_classifier as dc


def random_shift(key, images, pad=2):
    """Each image shifted by its own random offset in [-pad, pad]^2 (zero-padded = black)."""
    padded = jnp.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)), constant_values=-1.0)
    offsets = jax.random.randint(key, (images.shape[0], 2), 0, 2 * pad + 1)
    crop = lambda img, o: jax.lax.dynamic_slice(img, (o[0], o[1], 0), images.shape[1:])
    return jax.vmap(crop)(padded, offsets)


def make_train_step(model, tx):
    @jax.jit
    def step(params, opt_state, images, labels, key):
        shift_key, dropout_key = jax.random.split(key)
        x = random_shift(shift_key, dc.to_model_input(images))

        def loss_fn(p):
            logits, _ = model.apply({"params": p}, x, train=True, rngs={"dropout": dropout_key})
            return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, labels))

        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    return step


def accuracy(model, params, images, labels, batch=1000):
    predict = jax.jit(lambda p, x: jnp.argmax(model.apply({"params": p}, dc.to_model_input(x))[0], axis=1))
    correct = sum(
        int(jnp.sum(predict(params, images[i : i + batch]) == labels[i : i + batch]))
        for i in range(0, len(images), batch)
    )
    return correct / len(images)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=dc.NAMES, required=True)
    parser.add_argument("--data-dir", required=True, help="folder with the official IDX gz files")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="default: the package's weights folder")
    args = parser.parse_args(argv)

    train_x, train_y = load_idx_split(args.data_dir, "train")
    test_x, test_y = load_idx_split(args.data_dir, "test")
    model = dc.DomainClassifier()
    key = jax.random.key(args.seed)
    params = model.init(jax.random.fold_in(key, 0), jnp.zeros((1, 28, 28, 1)))["params"]
    steps_per_epoch = len(train_x) // args.batch_size
    tx = optax.adam(optax.cosine_decay_schedule(args.learning_rate, args.epochs * steps_per_epoch))
    opt_state = tx.init(params)
    step = make_train_step(model, tx)
    started = time.perf_counter()
    for epoch in range(args.epochs):
        order = np.asarray(jax.random.permutation(jax.random.fold_in(key, 1000 + epoch), len(train_x)))
        for i in range(steps_per_epoch):
            idx = order[i * args.batch_size : (i + 1) * args.batch_size]
            params, opt_state, loss = step(params, opt_state, train_x[idx], train_y[idx],
                                           jax.random.fold_in(key, epoch * steps_per_epoch + i + 1))
        test_accuracy = accuracy(model, params, test_x, test_y)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {float(loss):.4f}, test accuracy {test_accuracy:.4%}, "
              f"{time.perf_counter() - started:.0f} s", flush=True)
    metadata = {
        "dataset": args.dataset,
        "test_accuracy": test_accuracy,
        "train_examples": int(len(train_x)),
        "test_examples": int(len(test_x)),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "seed": args.seed,
        "train_seconds": round(time.perf_counter() - started, 1),
        "jax": jax.__version__,
        "date": datetime.date.today().isoformat(),
        "input_range": "[-1, 1]",
        "feature_dim": 128,
    }
    metadata = dc.save_params(params, args.out or dc.weights_path(args.dataset), metadata)
    print(metadata)


if __name__ == "__main__":
    main()

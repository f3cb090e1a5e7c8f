"""Time to evaluate 10,000 generated MNIST images with the domain network: generation (DCGAN-28
generator, width 64, EMA params, batches of 500), classifier features and logits, and the metrics
(FID, KID, precision/recall, density/coverage, IS) against the 10,000 test images whose features
are computed once per run. Medians of --repeats, after one warm-up (compilation).

    .venv/bin/python -m benchmarks.evaluation [--data-dir $JAXGAN_DATASETS/mnist] [--repeats 3]
"""

import argparse
import json
import os
import statistics
import time

import jax

from experiments import datasets_dir
from jaxgan.config import base_config
from jaxgan.evaluation import Evaluations, eval_key, extract, in_batches
from jaxgan.evaluation.features import network, reference
from jaxgan.run import Program, ProgramSampler


def config_for(data_dir):
    config = base_config()
    config.data.update(name="mnist", source="idx", dir=data_dir, batch_size=64)
    config.model.update(name="dcgan", latent_dim=100, g_width=64, d_width=64, d_norm="batch")
    config.ema_decay = 0.999
    config.eval.update(num_samples=10_000, batch_size=500)
    return config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=os.path.join(datasets_dir(), "mnist"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    config = config_for(args.data_dir)
    program = Program(config)
    state = program.init_state()
    evaluations = Evaluations(config)
    sampler = ProgramSampler(program, state)
    context = evaluations.context(sampler, key=eval_key(config), use_ema=True)
    started = time.perf_counter()
    reference(context)  # computed once per run, kept in the evaluations' run cache
    reference_s = time.perf_counter() - started
    timings = {"generate": [], "features": [], "metrics": [], "total": []}
    for repeat in range(args.repeats + 1):
        t0 = time.perf_counter()
        samples = program.samples(state, eval_key(config))
        t1 = time.perf_counter()
        extract(network(context), in_batches(samples[0], config.eval.batch_size))
        t2 = time.perf_counter()
        evaluation = evaluations.evaluate(sampler, key=eval_key(config), use_ema=True, samples=samples)
        t3 = time.perf_counter()
        if repeat:  # the first round compiles
            timings["generate"].append(t1 - t0)
            timings["features"].append(t2 - t1)
            # evaluate() computes the features again, then the metrics
            timings["metrics"].append((t3 - t2) - (t2 - t1))
            timings["total"].append((t1 - t0) + (t3 - t2))
    result = {"n_fake": int(samples.shape[1]), "n_real": evaluation["protocol"]["reference"]["n_real"],
              "reference_features_s": reference_s, "device": str(jax.devices()[0]), "cpus": os.cpu_count(),
              **{f"{k}_s_median": statistics.median(v) for k, v in timings.items()}}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

"""Where an image recipe's train step spends its time: the step's parts timed alone, each with
XLA's FLOP count and its fraction of the measured float32 matmul peak (`jaxgan bench`'s
measure), to show which part holds the whole step below the peak.

    ./run python -m benchmarks.step_parts --recipes dcgan,wgan_gp [--lucic] [--batch 64] [--repeats 20]

Parts (training mode, the recipe's networks and loss-free stand-ins of the same passes):
  G forward         fake = G(z)
  D forward         D(x) on one batch
  D gradient        d/d theta_D of mean D(x): one critic pass and its backward
  G gradient        d/d theta_G of mean D(G(z)): the generator update's passes
  step              the whole train step (`jaxgan bench`'s number)
"""

import argparse
import statistics
import time

import jax
import jax.numpy as jnp

from experiments import load_recipe
from jaxgan import bench, presets
from jaxgan.config import validate
from jaxgan.games.steps import apply
from jaxgan.run import Program


def _time(fn, args, repeats):
    compiled = jax.jit(fn).lower(*args).compile()
    flops = bench.step_flops(jax.jit(fn).lower(*args))
    jax.block_until_ready(compiled(*args))
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        jax.block_until_ready(compiled(*args))
        times.append(time.perf_counter() - started)
    return statistics.median(times), flops


def parts(config, batch, repeats):
    """{part: (median seconds, FLOPs)} of `config`'s networks at `batch`."""
    config.data.batch_size = batch
    program = Program(validate(config))
    state = program.init_state()
    z = jax.random.normal(jax.random.key(0), (batch, config.model.latent_dim))
    x = jax.random.uniform(jax.random.key(1), (batch, *program.game.discriminator_example(config).shape[1:]),
                           minval=-1, maxval=1)
    g = lambda params, z: apply(state.generator, params, state.g_state, z, train=True)[0]
    d = lambda params, x: apply(state.discriminator, params, state.d_state, x, train=True)[0]
    results = {
        "G forward": _time(g, (state.g_params, z), repeats),
        "D forward": _time(d, (state.d_params, x), repeats),
        "D gradient": _time(jax.grad(lambda p, x: jnp.mean(d(p, x))), (state.d_params, x), repeats),
        "G gradient": _time(jax.grad(lambda p, z: jnp.mean(d(state.d_params, g(p, z)))), (state.g_params, z), repeats),
    }
    step_config = config.copy_and_resolve_references()
    run, facts = bench.runner(*bench.compile_config(step_config, batch))
    results["step"] = (statistics.median([run() for _ in range(repeats)]), facts["flops"])
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", default="dcgan,wgan_gp")
    parser.add_argument("--lucic", action="store_true", help="on Lucic et al.'s networks (presets.lucic_networks)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    if min(args.batch, args.repeats) < 1:
        parser.error("--batch and --repeats must be positive")
    peak = bench.matmul_peaks()["peak"]
    lines = [f"float32 matmul peak (measured): {peak / 1e9:.0f} GFLOP/s", "",
             "| recipe | networks | part | ms (median) | GFLOP | GFLOP/s | of peak |", "|---|---|---|---|---|---|---|"]
    for recipe in [r for r in args.recipes.split(",") if r]:
        config = load_recipe(recipe).get_config()
        if args.lucic:
            presets.lucic_networks(config)
        for part, (seconds, flops) in parts(config, args.batch, args.repeats).items():
            lines.append(f"| {recipe} | {'lucic' if args.lucic else 'recipe'} | {part} | {1e3 * seconds:.1f} | "
                         f"{flops / 1e9:.2f} | {flops / seconds / 1e9:.0f} | {flops / seconds / peak:.0%} |")
    print("\n".join(lines))
    return lines


if __name__ == "__main__":
    main()

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

With `--layers`, the ceiling the backend sets: each of Lucic et al.'s layers at `--batch` timed
alone (its forward product, its input gradient and its kernel gradient, as the step runs them:
4x4 stride-2 convolutions by XLA, transposed ones by phases, fully connected ones by `jnp.dot`).
A step made of these layers runs at best at about their FLOP-weighted rate (each layer's three
passes once, as in one forward and backward), whatever the fusion around them; the plain 2048^3
product of the peak is the best case of the same library.
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


def _layer_ops(batch):
    """{layer: (op, input shape, kernel shape)} of Lucic et al.'s networks at `batch` (one image
    channel): D's convolutions and hidden FC layer, G's hidden FC layers and transposed convolutions."""
    from jaxgan.nets.dcgan import conv_transpose_stride2

    def conv(x, kernel):
        return jax.lax.conv_general_dilated(x, kernel, (2, 2), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"))

    return {
        "D conv 1->64, 28->14": (conv, (batch, 28, 28, 1), (4, 4, 1, 64)),
        "D conv 64->128, 14->7": (conv, (batch, 14, 14, 64), (4, 4, 64, 128)),
        "D FC 6272->1024": (jnp.dot, (batch, 6272), (6272, 1024)),
        "G FC 64->1024": (jnp.dot, (batch, 64), (64, 1024)),
        "G FC 1024->6272": (jnp.dot, (batch, 1024), (1024, 6272)),
        "G deconv 128->64, 7->14": (conv_transpose_stride2, (batch, 7, 7, 128), (4, 4, 128, 64)),
        "G deconv 64->1, 14->28": (conv_transpose_stride2, (batch, 14, 14, 64), (4, 4, 64, 1)),
    }


def layers(batch, repeats):
    """{(layer, pass): (median seconds, FLOPs)} for every layer of `_layer_ops` and its three passes:
    forward, input gradient, kernel gradient (the last two from one VJP's halves)."""
    results = {}
    for name, (op, x_shape, k_shape) in _layer_ops(batch).items():
        x = jax.random.normal(jax.random.key(0), x_shape)
        kernel = jax.random.normal(jax.random.key(1), k_shape) * 0.02
        cotangent = jax.random.normal(jax.random.key(2), jax.eval_shape(op, x, kernel).shape)
        results[name, "forward"] = _time(op, (x, kernel), repeats)
        results[name, "input gradient"] = _time(lambda x, k, c: jax.vjp(lambda x: op(x, k), x)[1](c)[0],
                                                (x, kernel, cotangent), repeats)
        results[name, "kernel gradient"] = _time(lambda x, k, c: jax.vjp(lambda k: op(x, k), k)[1](c)[0],
                                                 (x, kernel, cotangent), repeats)
    return results


def layer_table(batch, repeats, peak):
    """Markdown lines: every layer pass's rate and fraction of `peak`, and the FLOP-weighted
    fraction of all of them (the ceiling of a step made of these layers)."""
    lines = [f"| layer (batch {batch}) | pass | ms (median) | MFLOP | GFLOP/s | of peak |", "|---|---|---|---|---|---|"]
    measured = layers(batch, repeats)
    for (name, part), (seconds, flops) in measured.items():
        lines.append(f"| {name} | {part} | {1e3 * seconds:.3f} | {flops / 1e6:.1f} | {flops / seconds / 1e9:.0f} | "
                     f"{flops / seconds / peak:.0%} |")
    total_flops = sum(f for _, f in measured.values())
    total_seconds = sum(s for s, _ in measured.values())
    lines.append(f"| all layers, FLOP-weighted | | {1e3 * total_seconds:.2f} | {total_flops / 1e6:.0f} | "
                 f"{total_flops / total_seconds / 1e9:.0f} | {total_flops / total_seconds / peak:.0%} |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipes", default="dcgan,wgan_gp")
    parser.add_argument("--lucic", action="store_true", help="on Lucic et al.'s networks (presets.lucic_networks)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--layers", action="store_true",
                        help="also time Lucic et al.'s layers alone (the backend's ceiling for these shapes)")
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
    if args.layers:
        lines += [""] + layer_table(args.batch, args.repeats, peak)
    print("\n".join(lines))
    return lines


if __name__ == "__main__":
    main()

"""Per-backend choices (jaxgan.backend): the CPU's compiler options, the choice table for every
backend name, and that the choices it switches between are exact alternatives."""

import jax
import numpy as np
import pytest
from conftest import max_abs_diff

from jaxgan import backend

# (upsample, critic_conv, critic_conv_with_penalty, max_unrolled, donate_state, optimize_init) on the GPU.
GPU_MEASURED = ("transpose", "xla", "matmul", 8, True, True)

def _convolutions_in_ynn_fusions(hlo_text):
    """How many convolutions of a compiled module XLA:CPU handed to YNNPACK."""
    bodies, current = {}, None
    for line in hlo_text.splitlines():
        if line and not line.startswith(" ") and line.rstrip().endswith("{"):
            current = line.split()[0].lstrip("%")
            if current == "ENTRY":
                current = line.split()[1].lstrip("%")
            bodies[current] = []
        elif current is not None:
            bodies[current].append(line)
    called = [line.split("calls=")[1].split(",")[0].lstrip("%") for body in bodies.values() for line in body
              if "ynn_fusion" in line.split("=")[0] and "calls=" in line]
    return sum(" convolution(" in line for name in called for line in bodies.get(name, []))


def _conv_kernel_gradient(x, w):
    conv = lambda w: jax.lax.conv_general_dilated(
        x, w, (2, 2), ((1, 1), (1, 1)), dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    return jax.grad(lambda w: jax.numpy.sum(conv(w) ** 2))(w)


def test_cpu_convolutions_run_on_eigen_with_the_same_values():
    # Large enough for XLA's cost model to offer the convolutions to YNNPACK.
    x = jax.random.normal(jax.random.key(0), (16, 16, 16, 32))
    w = jax.random.normal(jax.random.key(1), (4, 4, 32, 16))
    eigen = jax.jit(_conv_kernel_gradient, compiler_options=backend.compiler_options("eigen", backend="cpu"))
    ynnpack = jax.jit(_conv_kernel_gradient, compiler_options=backend.compiler_options("ynnpack", backend="cpu"))
    assert _convolutions_in_ynn_fusions(eigen.lower(x, w).compile().as_text()) == 0
    # XLA's default hands them to YNNPACK; if a JAX upgrade changes that, the option is moot.
    assert _convolutions_in_ynn_fusions(ynnpack.lower(x, w).compile().as_text()) > 0
    np.testing.assert_allclose(eigen(x, w), ynnpack(x, w), rtol=1e-5, atol=1e-2)  # |grad| ~ 1e4


def test_compiler_options_only_on_cpu_and_bad_choice_is_named():
    assert backend.compiler_options("eigen", backend="cpu") == {
        "xla_cpu_experimental_ynn_fusion_type": "LIBRARY_FUSION_TYPE_DOT,LIBRARY_FUSION_TYPE_REDUCE"}
    assert backend.compiler_options("ynnpack", backend="cpu") is None
    assert backend.compiler_options("eigen", backend="gpu") is None
    with pytest.raises(ValueError, match="'mkl'"):
        backend.compiler_options("mkl")


def test_program_steps_compile_with_the_configured_convolutions():
    from jaxgan.config import ConfigError, base_config, validate
    from jaxgan.run import Program

    config = base_config()
    config.data.name, config.model.name = "mnist", "dcgan"
    config.model.g_width = config.model.d_width = 16
    config.data.batch_size = 16
    config.train.parallel = "single"
    counts = {}
    for choice in backend.CPU_CONVOLUTIONS:
        config.train.cpu_convolutions = choice
        program = Program(config)
        state = program.to_device(program.init_state())
        batch = {"x": np.zeros((1, 1, 16, 28, 28, 1), np.float32)}
        counts[choice] = _convolutions_in_ynn_fusions(program.step.lower(state, batch).compile().as_text())
    assert counts["eigen"] == 0 and counts["ynnpack"] > 0
    config.train.cpu_convolutions = "onednn"
    with pytest.raises(ConfigError, match="train.cpu_convolutions.*'onednn'"):
        validate(config)


def test_init_state_is_compiled_unoptimized_and_equals_eager_initialization():
    """`create` compiles initialization with LLVM optimization off (XLA:CPU spends seconds
    optimizing each initializer's threefry); the values are op-by-op initialization's, per seed."""
    from jaxgan.config import base_config
    from jaxgan.games import get
    from jaxgan.run import Program
    from jaxgan.state import create

    assert backend.init_compiler_options(backend="cpu") == {"xla_backend_optimization_level": 0}
    assert backend.init_compiler_options(backend="gpu") is None
    config = base_config()
    config.data.name, config.model.name = "mnist", "mlp"
    config.num_seeds, config.seed = 2, 7
    program = Program(config)
    stacked = program.init_state()
    fields = lambda state: (state.g_params, state.d_params, state.g_state, state.d_opt_state, state.ema_params)
    for s in range(2):
        with jax.disable_jit():
            eager = create(generator=program.generator, discriminator=program.discriminator, g_tx=stacked.g_tx,
                           d_tx=stacked.d_tx, latent_shape=stacked.latent_shape,
                           sample_x=get(config.game.name).discriminator_example(config), key=jax.random.key(7 + s))
        assert max_abs_diff(jax.tree.map(lambda x: x[s], fields(stacked)), fields(eager)) < 1e-6
    assert max_abs_diff(stacked.g_params, jax.tree.map(lambda x: x[::-1], stacked.g_params)) > 0.01  # seeds differ


def test_choices_for_every_backend_name():
    assert backend.choices("cpu") is backend.CHOICES["cpu"]
    for name in ("gpu", "cuda", "rocm", "GPU"):
        assert backend.choices(name) is backend.CHOICES["gpu"]
    assert backend.choices("tpu") is backend.CHOICES["tpu"]
    assert backend.choices() is backend.CHOICES[jax.default_backend()]
    with pytest.raises(ValueError, match="unknown backend 'metal'"):
        backend.choices("metal")
    for name, chosen in backend.CHOICES.items():
        assert chosen.upsample in ("transpose", "transpose_dilated"), name
        assert {chosen.critic_conv, chosen.critic_conv_with_penalty} <= {"xla", "matmul"}, name
        assert chosen.max_unrolled >= 0 and chosen.measured, name
    # The CPU keeps its measured forms (benchmarks/README.md).
    cpu = backend.choices("cpu")
    assert (cpu.upsample, cpu.critic_conv, cpu.critic_conv_with_penalty, cpu.max_unrolled, cpu.optimize_init) == (
        "transpose", "xla", "matmul", 8, False)
    assert backend.init_compiler_options("cuda") is None
    assert backend.compiler_options("eigen", backend="cuda") is None


def test_gpu_choices_are_the_ones_measured_on_the_h200():
    """The GPU entry is set from `python -m benchmarks.device` on an NVIDIA H200 (README "Speed")."""
    gpu = backend.choices("cuda")
    assert (gpu.upsample, gpu.critic_conv, gpu.critic_conv_with_penalty, gpu.max_unrolled, gpu.donate_state,
            gpu.optimize_init) == GPU_MEASURED


def test_auto_resolves_through_the_backend_choices():
    from experiments.images import dcgan, wgan_gp
    from jaxgan.nets.family import critic_convolution, upsampling

    plain, penalized = dcgan.get_config().model, wgan_gp.get_config().model
    for name in ("cpu", "cuda", "tpu"):
        chosen = backend.choices(name)
        assert upsampling(plain, name) == chosen.upsample
        assert critic_convolution(plain, penalized=False, backend_name=name) == chosen.critic_conv
        assert critic_convolution(penalized, penalized=True, backend_name=name) == chosen.critic_conv_with_penalty
    penalized.d_conv, penalized.upsample = "xla", "resize"
    assert critic_convolution(penalized, penalized=True, backend_name="cpu") == "xla"
    assert upsampling(penalized, "cuda") == "resize"


def _has_while_loop(fn, *args):
    return " while(" in jax.jit(fn).lower(*args).compile().as_text()


def test_scan_or_unroll_follows_max_unrolled_with_the_same_values(monkeypatch):
    from jaxgan.games import scan_or_unroll

    def body(carry, x):
        return carry * 1.5 + jax.numpy.sin(x), carry + x

    xs = jax.random.normal(jax.random.key(0), (4, 3))
    run = lambda limit: lambda c, xs: scan_or_unroll(body, c, xs, max_unrolled=limit)
    carry = jax.numpy.ones(3)
    np.testing.assert_allclose(jax.jit(run(8))(carry, xs)[0], jax.jit(run(0))(carry, xs)[0], rtol=1e-6)
    np.testing.assert_allclose(jax.jit(run(8))(carry, xs)[1], jax.jit(run(0))(carry, xs)[1], rtol=1e-6)
    assert not _has_while_loop(run(8), carry, xs) and _has_while_loop(run(3), carry, xs)
    key = backend.platform()
    monkeypatch.setitem(backend.CHOICES, key, backend.CHOICES[key]._replace(max_unrolled=2))
    assert _has_while_loop(run(None), carry, xs)  # None: the backend's choice


def test_donation_follows_the_backend_choice(monkeypatch):
    from jaxgan import parallel

    step = lambda state, batch: (state + batch, {"m": batch.sum()})
    for donate in (True, False):
        key = backend.platform()
        monkeypatch.setitem(backend.CHOICES, key, backend.CHOICES[key]._replace(donate_state=donate))
        state = jax.numpy.ones(8)
        new_state, _ = parallel.single_device(step)(state, jax.numpy.ones(8))
        assert state.is_deleted() == donate
        np.testing.assert_array_equal(new_state, 2.0)


@pytest.mark.parametrize("net", ["dcgan", "unet", "resnet_translator"])
def test_transposed_convolution_forms_share_parameters_and_values(net):
    """"transpose" (phase decomposition) and "transpose_dilated" (XLA's input-dilated convolution)
    are one layer: the same parameter tree from the same key, and the same outputs and gradients,
    so a checkpoint moves between backends whose choices differ."""
    from jaxgan.nets import DCGANGenerator, ResNetTranslator, UNetGenerator

    if net == "dcgan":
        make, x = (lambda u: DCGANGenerator(size=32, channels=3, width=4, upsample=u)), jax.random.normal(
            jax.random.key(0), (2, 16))
    elif net == "unet":
        make, x = (lambda u: UNetGenerator(channels=1, width=4, depth=3, dropout=0.0, upsample=u)), jax.random.uniform(
            jax.random.key(0), (2, 16, 16, 1), minval=-1)
    else:
        make, x = (lambda u: ResNetTranslator(channels=1, width=4, num_blocks=1, upsample=u)), jax.random.uniform(
            jax.random.key(0), (2, 16, 16, 1), minval=-1)
    phases, dilated = make("transpose"), make("transpose_dilated")
    variables = phases.init(jax.random.key(1), x, train=False)
    assert max_abs_diff(variables, dilated.init(jax.random.key(1), x, train=False)) == 0.0
    out = lambda module: module.apply(variables, x, train=False)
    np.testing.assert_allclose(out(phases), out(dilated), rtol=1e-5, atol=1e-5)
    grad = lambda module: jax.grad(lambda p: jax.numpy.sum(jax.numpy.sin(
        module.apply({**variables, "params": p}, x, train=False))))(variables["params"])
    scale = max(float(np.max(np.abs(g))) for g in jax.tree.leaves(grad(phases)))
    assert max_abs_diff(grad(phases), grad(dilated)) < 1e-5 * scale
    if net != "dcgan":  # the translators have no other upsampling
        with pytest.raises(ValueError, match="upsample must be one of .* got 'resize'"):
            make("resize").init(jax.random.key(1), x, train=False)


def test_translation_games_refuse_an_upsampling_they_do_not_have():
    from experiments.translation import cyclegan
    from jaxgan.config import ConfigError, validate

    config = cyclegan.get_config()
    config.model.upsample = "depth_to_space"
    with pytest.raises(ConfigError, match="model.upsample='depth_to_space'"):
        validate(config)

"""Per-backend choices: how the same computation is best expressed for the XLA backend that runs it.

Several layers and loops of jaxgan have more than one exact form (same parameters, same values,
tested equal), and which is fastest depends on XLA's backend, not on the model:

  * the 2x transposed convolution of the DCGAN generator, the U-Net decoder and the CycleGAN
    translator: by phase decomposition (four small convolutions of the undilated input,
    `nets.dcgan.conv_transpose_stride2`; `model.upsample="transpose"`) or as XLA's own
    input-dilated convolution (`nn.ConvTranspose`; `"transpose_dilated"`);
  * the DCGAN critic's 4x4 stride-2 convolutions: `nn.Conv` ("xla") or one matrix product per
    layer ("matmul", `nets.conv.conv4x4_stride2`), chosen separately for critics that a gradient
    penalty differentiates twice;
  * loops (the critic's `n_critic` updates, fused steps): a `lax.scan`, or unrolled into
    straight-line code up to `max_unrolled` iterations (`games.scan_or_unroll`);
  * donation of the train state to the compiled step;
  * initialization compiled with the backend's optimizer on or off;
  * on the CPU backend only: which library runs convolutions (`train.cpu_convolutions`).

`choices(backend)` returns the measured choice of each for a backend name ("cpu", "gpu", or a
platform name such as "cuda" or "rocm"); every `auto` in the config resolves through it. The
CPU entry is measured on a 2-core AMD EPYC (benchmarks/README.md), the GPU entry on an NVIDIA
H200 by `python -m benchmarks.device` (README "Speed"): the forms chosen for XLA:CPU's weak spots
are also the faster ones there. The TPU entry is not measured: it uses XLA's plain forms, which
TPU compilers map natively.

The forms share their parameter trees (the layers are named alike), so a checkpoint trained on
one backend samples, evaluates and resumes on another.
"""

from typing import NamedTuple

import jax


class Choices(NamedTuple):
    """The fastest exact form of each computation on one backend (see the module docstring).

    upsample: the transposed-convolution form, "transpose" (phase decomposition) or
      "transpose_dilated" (`nn.ConvTranspose`).
    critic_conv, critic_conv_with_penalty: the DCGAN critic's convolution, "xla" or "matmul",
      without / with a gradient penalty.
    max_unrolled: loops of at most this many iterations are unrolled; longer ones are scans.
    donate_state: donate the train state to the compiled step (its buffers are reused).
    optimize_init: compile initialization with the backend's optimizer on.
    measured: where the choices were measured.
    """

    upsample: str
    critic_conv: str
    critic_conv_with_penalty: str
    max_unrolled: int
    donate_state: bool
    optimize_init: bool
    measured: str


CHOICES = {
    # benchmarks/README.md: the phase-decomposed transposed convolution trains 11-17x faster than
    # XLA:CPU's input-dilated one; the matmul critic removes a naive-loop convolution from the
    # penalty's double backward (WGAN-GP 1.76x) but is ~10% slower differentiated once; a
    # convolution inside a while loop runs ~25x slower than unrolled; LLVM's optimizer takes
    # 3-6 s per initializer shape.
    "cpu": Choices(upsample="transpose", critic_conv="xla", critic_conv_with_penalty="matmul", max_unrolled=8,
                   donate_state=True, optimize_init=False,
                   measured="2-core AMD EPYC, jax 0.12.0.1, 2026-11-23 (benchmarks/README.md)"),
    # README "Speed", NVIDIA H200: the phase-decomposed transposed convolution trains DCGAN-64 1.59x
    # faster than XLA's input-dilated one (12.6 vs 20.0 ms at batch 256); the matmul critic runs
    # WGAN-GP 1.21x faster (4.39 vs 5.32 ms at batch 256); the unrolled 5-update critic loop is 4%
    # faster than a scan (8.13 vs 8.45 ms at batch 64, compiling in 13.7 s instead of 5.8 s). The
    # critic's convolution without a penalty, donation and initialization are not measured there
    # yet: they keep XLA's plain forms.
    "gpu": Choices(upsample="transpose", critic_conv="xla", critic_conv_with_penalty="matmul", max_unrolled=8,
                   donate_state=True, optimize_init=True,
                   measured="NVIDIA H200, jax 0.11.2, 2026-11-30 (README \"Speed\"): upsample, "
                            "critic_conv_with_penalty and max_unrolled measured; the others XLA's plain forms"),
    "tpu": Choices(upsample="transpose_dilated", critic_conv="xla", critic_conv_with_penalty="xla", max_unrolled=8,
                   donate_state=True, optimize_init=True,
                   measured="not measured: XLA's plain forms"),
}
# Platform names jax reports (`Device.platform`, `jax.default_backend()`) -> CHOICES keys.
_PLATFORMS = {"cpu": "cpu", "gpu": "gpu", "cuda": "gpu", "rocm": "gpu", "tpu": "tpu"}


def platform(backend=None) -> str:
    """The CHOICES key of `backend` (a backend or platform name; default: JAX's default backend)."""
    name = (backend or jax.default_backend()).lower()
    if name not in _PLATFORMS:
        raise ValueError(f"unknown backend {name!r}; expected one of {sorted(_PLATFORMS)}")
    return _PLATFORMS[name]


def choices(backend=None):
    """The measured `Choices` of `backend` (default: JAX's default backend).

    Example:
      >>> choices("cuda").critic_conv_with_penalty, choices("tpu").critic_conv_with_penalty
      ('matmul', 'xla')
    """
    return CHOICES[platform(backend)]


CPU_CONVOLUTIONS = ("eigen", "ynnpack")
# XLA:CPU (jax 0.11-0.12) sends dots, reductions and convolutions to YNNPACK by default. This list
# is that default without LIBRARY_FUSION_TYPE_INDIVIDUAL_CONVOLUTION: convolutions then go to
# XLA's Eigen kernels; dots and reductions stay with YNNPACK (faster for the MLP steps).
_YNN_WITHOUT_CONVOLUTIONS = "LIBRARY_FUSION_TYPE_DOT,LIBRARY_FUSION_TYPE_REDUCE"


def compiler_options(cpu_convolutions="eigen", backend=None):
    """XLA compiler options for train steps on `backend` (default: JAX's default backend):
    `cpu_convolutions="eigen"` (the default) runs convolutions on the CPU backend with XLA's Eigen
    kernels (1.2-2.6x faster conv train steps on the 2-core machine measured), `"ynnpack"` keeps
    XLA's default (YNNPACK). None (XLA's defaults) off the CPU."""
    if cpu_convolutions not in CPU_CONVOLUTIONS:
        raise ValueError(f"cpu_convolutions must be one of {CPU_CONVOLUTIONS}, got {cpu_convolutions!r}")
    if platform(backend) != "cpu" or cpu_convolutions == "ynnpack":
        return None
    return {"xla_cpu_experimental_ynn_fusion_type": _YNN_WITHOUT_CONVOLUTIONS}


def init_compiler_options(backend=None):
    """XLA compiler options for one-off initialization programs: the backend's optimizer off where
    `choices(backend).optimize_init` is False (XLA:CPU: LLVM takes 3-6 s per distinct 4-D shape
    on the threefry bit generator of a parameter initializer; values equal to eager
    initialization's up to float32 rounding); None (XLA's defaults) elsewhere."""
    if choices(backend).optimize_init:
        return None
    return {"xla_backend_optimization_level": 0}

"""PyTorch reference of the same GAN iterations that `benchmarks.throughput` times in JAX, for
an honest ratio on the same machine in the same session. Needs only torch and numpy (no jaxgan
import), so it runs in whatever interpreter has torch:

    python -m benchmarks.torch_reference --models dcgan32,mlp_mnist --batch 64 [--compile] [--dtype bfloat16]
    python -m benchmarks.torch_reference --serve [--device cuda]   # JSON requests on stdin, one reply per line
        # {"model", "batch", "repeats", "compile", "dtype"} -> a measurement; with "build_only": true,
        # build and warm the model up only (later measurements reuse it)

One iteration does the same work as `jaxgan.games.make_gan_step` with the non-saturating loss:
  D update: z ~ N(0, I); fake = G(z) (train mode, no grad); BCE(D(real), 1) + BCE(D(fake), 0);
            backward; Adam(2e-4, 0.5, 0.999).
  G update: fresh z; BCE(D(G(z)), 1) (D in train mode); backward through D and G; Adam.
`wgan_gp28` is one WGAN-GP critic update (Gulrajani et al. 2017, Algorithm 1: D(fake) - D(real)
+ 10 (||grad D(x_hat)|| - 1)^2 with x_hat = eps real + (1 - eps) fake, the gradient taken with
`create_graph=True`) and one G update (-D(G(z))), Adam(1e-4, 0, 0.9), with the LayerNorm critic.
Networks match jaxgan's: DCGAN (Radford et al.) with G Dense -> BN -> ReLU -> [4x4 stride-2
transposed conv -> BN -> ReLU] ... -> tanh and D [4x4 stride-2 conv -> (BN or LayerNorm over
channels) -> LeakyReLU 0.2] -> Dense, no biases before BatchNorm; the MLP GANs of the 2D and
MNIST benchmarks. Channels-last is not used (PyTorch's CPU default, NCHW, is its fastest path for
these layers).

`--device cuda` runs on the GPU with cuDNN's autotuner on (`cudnn.benchmark`, as XLA autotunes
its convolutions) and TF32 float32 matrix products (`set_float32_matmul_precision("high")`, as
JAX's default precision on GPU); `--dtype bfloat16` runs the forward passes under
`torch.autocast(dtype=torch.bfloat16)` (float32 parameters and optimizer, as jaxgan's
`model.dtype=bfloat16`). `torch.compile` compiles for the static shapes (`dynamic=False`); for WGAN-GP it compiles the
generator only, because aot_autograd cannot differentiate the critic twice ("torch.compile with
aot_autograd does not currently support double backward", torch 2.11-2.13).

Prints one JSON line per model: median / min / max iteration ms over `--repeats` timed
iterations after `--warmup` untimed ones (each iteration ends by reading both losses, which
waits for the device), and the thread count. `--serve` keeps the built models
between requests, so `benchmarks.throughput` can alternate JAX and PyTorch measurements on a
noisy machine.
"""

import argparse
import json
import platform
import statistics
import sys
import time

import torch
from torch import nn

PLANS = {28: (7, 2), 32: (4, 3), 64: (4, 4)}  # (initial size, 2x stages), as jaxgan.nets.dcgan._plan


class ChannelLayerNorm(nn.Module):
    """LayerNorm over the channels of every pixel (flax `nn.LayerNorm()` on NHWC) for NCHW."""

    def __init__(self, channels):
        super().__init__()
        self.norm = nn.LayerNorm(channels)

    def forward(self, x):
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


def dcgan(size, channels, width=64, latent=100, d_norm="batch"):
    start, stages = PLANS[size]
    features = width * 2**stages
    g_layers = [nn.Linear(latent, start * start * features, bias=False), nn.Unflatten(1, (features, start, start)),
                nn.BatchNorm2d(features, momentum=0.1), nn.ReLU()]
    for _ in range(stages - 1):
        g_layers += [
            nn.ConvTranspose2d(features, features // 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(features // 2),
            nn.ReLU(),
        ]
        features //= 2
    g_layers += [nn.ConvTranspose2d(features, channels, 4, 2, 1), nn.Tanh()]
    d_layers, in_channels = [], channels
    for i in range(stages):
        out = width * 2**i
        d_layers += [nn.Conv2d(in_channels, out, 4, 2, 1, bias=i == 0 or d_norm != "batch")]
        if i > 0:
            d_layers += [nn.BatchNorm2d(out) if d_norm == "batch" else ChannelLayerNorm(out)]
        d_layers += [nn.LeakyReLU(0.2)]
        in_channels = out
    final = size // 2**stages
    d_layers += [nn.Flatten(), nn.Linear(in_channels * final * final, 1)]
    return nn.Sequential(*g_layers), nn.Sequential(*d_layers), (channels, size, size), latent


def mlp(g_hidden, d_hidden, data_dim, latent, g_norm, image_shape=None):
    g_layers, width = [], latent
    for h in g_hidden:
        g_layers += [nn.Linear(width, h, bias=not g_norm)] + ([nn.BatchNorm1d(h)] if g_norm else []) + [nn.ReLU()]
        width = h
    g_layers += [nn.Linear(width, data_dim)] + ([nn.Tanh()] if image_shape else [])
    d_layers, width = [nn.Flatten()], data_dim
    for h in d_hidden:
        d_layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
        width = h
    d_layers += [nn.Linear(width, 1)]
    return nn.Sequential(*g_layers), nn.Sequential(*d_layers), image_shape or (data_dim,), latent


MODELS = {
    "mlp_2d": lambda: mlp((128, 128, 128), (64, 64, 64), 2, 2, False),
    "mlp_mnist": lambda: mlp((256, 512, 1024), (512, 256), 784, 100, True, (784,)),
    "dcgan28": lambda: dcgan(28, 1),
    "dcgan32": lambda: dcgan(32, 3),
    "dcgan64": lambda: dcgan(64, 3),
    "wgan_gp28": lambda: dcgan(28, 1, d_norm="layer"),
}
WGAN_GP = ("wgan_gp28",)


def _autocast(device, dtype):
    """bf16 autocast of the forward passes for dtype "bfloat16"; a no-op context otherwise."""
    return torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16, enabled=dtype == "bfloat16")


def wgan_gp_iteration_fn(generator, discriminator, latent, batch, device="cpu", dtype="float32", weight=10.0):
    g_opt = torch.optim.Adam(generator.parameters(), lr=1e-4, betas=(0.0, 0.9))
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=1e-4, betas=(0.0, 0.9))

    def d_step(real):
        with torch.no_grad(), _autocast(device, dtype):
            fake = generator(torch.randn(batch, latent, device=device)).float()
        d_opt.zero_grad(set_to_none=True)
        eps = torch.rand(batch, *([1] * (real.dim() - 1)), device=device)
        x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
        with _autocast(device, dtype):
            (grad,) = torch.autograd.grad(discriminator(x_hat).float().sum(), x_hat, create_graph=True)
            penalty = ((grad.float().flatten(1).norm(dim=1) - 1) ** 2).mean()
            loss = discriminator(fake).float().mean() - discriminator(real).float().mean() + weight * penalty
        loss.backward()
        d_opt.step()
        return loss

    def g_step():
        g_opt.zero_grad(set_to_none=True)
        with _autocast(device, dtype):
            loss = -discriminator(generator(torch.randn(batch, latent, device=device))).float().mean()
        loss.backward()
        g_opt.step()
        return loss

    return d_step, g_step


def iteration_fn(generator, discriminator, latent, batch, device="cpu", dtype="float32"):
    g_opt = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    ones, zeros = torch.ones(batch, 1, device=device), torch.zeros(batch, 1, device=device)

    def d_step(real):
        with torch.no_grad(), _autocast(device, dtype):
            fake = generator(torch.randn(batch, latent, device=device))
        d_opt.zero_grad(set_to_none=True)
        with _autocast(device, dtype):
            loss = bce(discriminator(real).float(), ones) + bce(discriminator(fake).float(), zeros)
        loss.backward()
        d_opt.step()
        return loss

    def g_step():
        g_opt.zero_grad(set_to_none=True)
        with _autocast(device, dtype):
            loss = bce(discriminator(generator(torch.randn(batch, latent, device=device))).float(), ones)
        loss.backward()
        g_opt.step()
        return loss

    return d_step, g_step


_BUILT = {}


def configure(device):
    """Library settings of a fair comparison on `device` (see the module docstring)."""
    if torch.device(device).type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.set_float32_matmul_precision("high")


def _build(name, batch, compile_mode, warmup, device="cpu", dtype="float32"):
    """(d_step, g_step, real batch, warm-up seconds), built once per (model, batch, mode, dtype).
    Compiled networks get at least 5 warm-up iterations: the G forward runs under no_grad in the
    D update and with grad in the G update, and each mode (and the backward) compiles apart."""
    warmup = max(warmup, 5) if compile_mode else warmup
    key = (name, batch, compile_mode, device, dtype)
    if key not in _BUILT:
        torch.manual_seed(0)
        generator, discriminator, shape, latent = MODELS[name]()
        generator.to(device).train()
        discriminator.to(device).train()
        if compile_mode:
            generator = torch.compile(generator, dynamic=False)
            if name not in WGAN_GP:  # aot_autograd has no double backward: the penalized critic stays eager
                discriminator = torch.compile(discriminator, dynamic=False)
        make = wgan_gp_iteration_fn if name in WGAN_GP else iteration_fn
        d_step, g_step = make(generator, discriminator, latent, batch, device=device, dtype=dtype)
        real = torch.rand(batch, *shape, device=device) * 2 - 1
        started = time.perf_counter()
        for _ in range(warmup):
            d_step(real).item(), g_step().item()
        _BUILT[key] = (d_step, g_step, real, time.perf_counter() - started)
    return _BUILT[key]


def measure(name, *, batch, repeats, warmup, compile_mode, device="cpu", dtype="float32"):
    d_step, g_step, real, warmup_s = _build(name, batch, compile_mode, warmup, device, dtype)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        d_loss, g_loss = d_step(real), g_step()
        values = (d_loss.item(), g_loss.item())  # the iteration's results, read back like jaxgan's metrics
        times.append(time.perf_counter() - started)
    if not all(v == v and abs(v) != float("inf") for v in values):
        raise FloatingPointError(f"{name}: non-finite losses {values}")
    return {
        "model": name,
        "framework": "torch",
        "mode": "compile" if compile_mode else "eager",
        "batch": batch,
        "device": device,
        "device_name": torch.cuda.get_device_name() if device.startswith("cuda") else "cpu",
        "dtype": dtype,
        "compiled": ("generator only" if name in WGAN_GP else "both") if compile_mode else "none",
        "step_ms_median": 1e3 * statistics.median(times),
        "step_ms_min": 1e3 * min(times),
        "step_ms_max": 1e3 * max(times),
        "warmup_s": warmup_s,
        "repeats": repeats,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--compile", action="store_true", help="torch.compile both networks")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--dtype", default="float32", choices=("float32", "bfloat16"),
                        help="bfloat16: forward passes under bf16 autocast")
    parser.add_argument("--serve", action="store_true",
                        help="answer JSON requests {model, batch, repeats, compile} read from stdin, one per line")
    args = parser.parse_args(argv)
    configure(args.device)
    if args.serve:
        for line in sys.stdin:
            request = json.loads(line)
            if request["model"] not in MODELS:
                print(
                    json.dumps({"error": f"unknown model {request['model']!r}; choose from {sorted(MODELS)}"}),
                    flush=True,
                )
                continue
            try:
                if request.get("build_only"):
                    built = _build(request["model"], request["batch"], request.get("compile", False), args.warmup,
                                   args.device, request.get("dtype", "float32"))
                    print(json.dumps({"model": request["model"], "built": True, "warmup_s": built[-1]}), flush=True)
                    continue
                reply = measure(request["model"], batch=request["batch"], repeats=request["repeats"],
                                warmup=args.warmup, compile_mode=request.get("compile", False), device=args.device,
                                dtype=request.get("dtype", "float32"))
            except Exception as error:  # e.g. torch.compile cannot differentiate twice (WGAN-GP)
                reply = {"error": f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"}
            print(json.dumps(reply), flush=True)
        return
    for name in args.models.split(","):
        if name not in MODELS:
            parser.error(f"unknown model {name!r}; choose from {sorted(MODELS)}")
        print(json.dumps(measure(name, batch=args.batch, repeats=args.repeats, warmup=args.warmup,
                                 compile_mode=args.compile, device=args.device, dtype=args.dtype)), flush=True)


if __name__ == "__main__":
    main()

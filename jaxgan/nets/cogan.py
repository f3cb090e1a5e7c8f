"""CoGAN's networks for 28x28 digit pairs (Liu & Tuzel 2016, arXiv:1606.07536, Sec. 3 and the
supplementary's MNIST networks; the authors' code, mingyuliutw/CoGAN: Caffe
`make_mnist.edge.cogan_net.py` with `run_mnist.edge.cogan.sh`, and its PyTorch port
`net_cogan_mnistedge.py`): `model.name="cogan"`.

A coupled pair is one example of two channels: channel 0 is domain A's image, channel 1 domain
B's. Generator: z -> FC to 4x4x1024 (Caffe's first "deconvolution" is this inner product) ->
3x3 stride-2 deconvolutions to 7x7x512, 13x13x256, 25x25x128 -> per domain a 6x6 stride-1
deconvolution to 28x28x1 -> tanh; BatchNorm without scale (Caffe's BatchNorm + Bias) and
channel-wise PReLU after every hidden layer. Discriminator, per domain: 5x5 conv 20 -> 2x2 max
pool; then 5x5 conv 50 -> max pool -> FC 500 -> PReLU -> FC 1, applied to each domain's images;
no non-linearity after the convolutions but the pooling (LeNet's, the authors' layout). Its
logits are domain A's then domain B's, (2B,).

Weight sharing is what couples the pair (Sec. 3): the generators share their first
`cogan_shared_g` layers (the paper's 4: all but the last) and the discriminators their last
`cogan_shared_d` layers (the paper's 3: all but the first). Fewer shared layers give the
ablation of the paper's Fig. 2; 0 and 0 are two independent GANs.

Deviations, named: tanh on data in [-1, 1] (theirs: sigmoid on [0, 1], the same function class
after an affine map of the last layer); one logit with the logistic loss (theirs: two logits and
a softmax, the same function class: the softmax of two logits is the sigmoid of their
difference); no dropout after the FC 500 layer (the Caffe net has 0.5, the authors' PyTorch port
none); flax's default initialization. The stride-2 transposed convolutions are computed in the
backend's fastest exact form (`model.upsample`, as the DCGAN family's): on XLA's CPU backend the
input-dilated form made a step 9x slower.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxgan.nets.dcgan import OPTIONS as DCGAN_OPTIONS
from jaxgan.nets.dcgan import TRANSPOSED_FORMS
from jaxgan.nets.family import DTYPES, Family, Option, positive_int, reject, upsampling
from jaxgan.nets.translation import ConvTranspose3x3Stride2

SIZE = 28
DOMAINS = ("a", "b")
G_WIDTHS = (1024, 512, 256, 128)  # 4x4, 7x7, 13x13, 25x25
D_FEATURES = (20, 50, 500)
G_LAYERS, D_LAYERS = len(G_WIDTHS), len(D_FEATURES) + 1


class PReLU(nn.Module):
    """max(x, 0) + a min(x, 0) with one learned slope per channel, initialized at 0.25 (Caffe's
    PReLU, channel_shared false)."""

    @nn.compact
    def __call__(self, x):
        slope = self.param("slope", nn.initializers.constant(0.25), (x.shape[-1],), jnp.float32)
        return jnp.where(x >= 0, x, slope.astype(x.dtype) * x)


class CoupledGenerator(nn.Module):
    """z (B, latent_dim) -> coupled pairs (B, 28, 28, 2) in [-1, 1]: channel 0 domain A's
    image, channel 1 domain B's, both from the same z."""

    shared: int = G_LAYERS
    axis_name: str | None = None
    dtype: jnp.dtype = jnp.float32
    form: str = "phases"  # of the stride-2 transposed convolutions (`nets.dcgan.transposed_op`)
    widths: tuple[int, ...] = G_WIDTHS  # the paper's (`model.cogan_width` n = 128: 8n, 4n, 2n, n)

    def _hidden(self, h, i, suffix, train):
        name, width = f"layer{i}{suffix}", self.widths[i]
        if i == 0:
            h = nn.Dense(4 * 4 * width, dtype=self.dtype, name=name)(h).reshape(h.shape[0], 4, 4, width)
        else:
            # PyTorch's ConvTranspose2d(3, stride 2, padding 1), n -> 2n - 1: the "SAME" layer
            # (2n) without its first row and column (tested against nn.ConvTranspose)
            h = ConvTranspose3x3Stride2(width, dtype=self.dtype, form=self.form, name=name)(h)[:, 1:, 1:]
        h = nn.BatchNorm(use_running_average=not train, momentum=0.9, use_scale=False, axis_name=self.axis_name,
                         dtype=self.dtype, name=f"bn{i}{suffix}")(h)
        return PReLU(name=f"prelu{i}{suffix}")(h)

    @nn.compact
    def __call__(self, z, *, train: bool):
        h = z.astype(self.dtype)
        for i in range(self.shared):
            h = self._hidden(h, i, "", train)
        images = []
        for domain in DOMAINS:
            x = h
            for i in range(self.shared, G_LAYERS):
                x = self._hidden(x, i, f"_{domain}", train)
            # PyTorch's ConvTranspose2d(kernel 6, stride 1, padding 1): 25 -> 28 pixels
            x = nn.ConvTranspose(1, (6, 6), padding=((4, 4), (4, 4)), dtype=self.dtype, name=f"out_{domain}")(x)
            images.append(jnp.tanh(x.astype(jnp.float32)))
        return jnp.concatenate(images, axis=-1)


class CoupledDiscriminator(nn.Module):
    """Coupled pairs (B, 28, 28, 2) -> logits (2B,): D_A on channel 0, then D_B on channel 1.
    `features_only`: the FC 500 features (2B, 500) instead."""

    shared: int = D_LAYERS - 1
    features_only: bool = False
    dtype: jnp.dtype = jnp.float32
    features: tuple[int, ...] = D_FEATURES  # the paper's; narrower only in tests

    @nn.compact
    def __call__(self, x, *, train: bool):
        del train  # no BatchNorm, no dropout
        if x.ndim != 4 or x.shape[-1] != len(DOMAINS):
            raise ValueError(f"CoGAN's discriminator takes coupled pairs (B, H, W, 2), got shape {x.shape}")
        first_shared, convs = D_LAYERS - self.shared, len(self.features) - 1
        modules = {}  # one module per name: a shared layer's name carries no domain, so both use it

        def module(kind, i, domain):
            name = f"{kind}{'' if i >= first_shared else '_' + domain}"
            if name not in modules:
                if kind.startswith("prelu"):
                    modules[name] = PReLU(name=name)
                elif i < convs:
                    modules[name] = nn.Conv(self.features[i], (5, 5), padding="VALID", dtype=self.dtype, name=name)
                else:
                    modules[name] = nn.Dense(self.features[i] if i < len(self.features) else 1, dtype=self.dtype,
                                             name=name)
            return modules[name]

        outputs = []
        for c, domain in enumerate(DOMAINS):
            h = x[..., c : c + 1].astype(self.dtype)
            for i in range(convs):
                h = nn.max_pool(module(f"layer{i}", i, domain)(h), (2, 2), (2, 2))
            h = module(f"layer{convs}", convs, domain)(h.reshape(h.shape[0], -1))
            h = module("prelu", convs, domain)(h)
            outputs.append(h if self.features_only else module(f"layer{convs + 1}", convs + 1, domain)(h)[:, 0])
        return jnp.concatenate(outputs, axis=0).astype(jnp.float32)


def shared_parameters(params) -> dict:
    """{layer name: parameter count} of the layers a CoGAN network holds once for both domains
    (names without a domain suffix)."""
    return {name: sum(leaf.size for leaf in jax.tree.leaves(tree)) for name, tree in params.items()
            if not name.endswith(tuple(f"_{d}" for d in DOMAINS))}


def _layer_count(limit):
    def check(value):
        if int(value) != value or not 0 <= value <= limit:
            return f"must be an integer in [0, {limit}]"
        return None
    return check


OPTIONS = {
    "upsample": DCGAN_OPTIONS["upsample"],
    "cogan_width": Option(G_WIDTHS[-1], "CoGAN: n, the generator's last hidden width; its hidden layers have 8n, 4n, "
                          "2n, n channels (the paper's n = 128: 1024, 512, 256, 128)", check=positive_int),
    "cogan_shared_g": Option(G_LAYERS, "CoGAN: the generators' first layers shared by both domains (the paper's 4 = "
                             "all but the last; 0 = independent generators)", check=_layer_count(G_LAYERS)),
    "cogan_shared_d": Option(D_LAYERS - 1, "CoGAN: the discriminators' last layers shared by both domains (the "
                             "paper's 3 = all but the first; 0 = independent)", check=_layer_count(D_LAYERS - 1)),
}


def build(model, shape, *, image, features_only, axis_name, penalized) -> tuple[nn.Module, nn.Module]:
    del image, penalized
    dtype = DTYPES[model.dtype]
    form = TRANSPOSED_FORMS[upsampling(model)]
    widths = tuple(model.cogan_width * 2**k for k in range(G_LAYERS - 1, -1, -1))
    return (CoupledGenerator(shared=model.cogan_shared_g, axis_name=axis_name, dtype=dtype, form=form, widths=widths),
            CoupledDiscriminator(shared=model.cogan_shared_d, features_only=features_only, dtype=dtype))


def validate(model, shape, image) -> None:
    reject(model.upsample not in ("auto", *TRANSPOSED_FORMS),
           f"model.upsample={model.upsample!r}: CoGAN's generator uses the paper's transposed convolutions; choose one "
           f"of {['auto', *TRANSPOSED_FORMS]}")
    if shape is not None:
        reject(tuple(shape) != (SIZE, SIZE, len(DOMAINS)),
               f"model.name='cogan' builds coupled 28x28 pairs (28, 28, 2), the data of "
               f"data.name='mnist_edges' / 'mnist_negatives'; the data's examples are {tuple(shape)}")


FAMILY = Family("cogan", "CoGAN", OPTIONS, build, validate, images_only=True)

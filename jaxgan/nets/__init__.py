"""Flax (linen) networks. Discriminators return logits; generators return samples.

Every network is called as `module.apply(variables, inputs, train=bool)`; BatchNorm layers use
batch statistics when `train=True` and their running averages otherwise. `axis_name` (where a
network has it) makes BatchNorm average its statistics over a `jax.pmap` axis, so a pmapped step
normalizes by the global batch exactly as a single-device step does.
"""

from jaxgan.nets.layers import (
    Maxout,
    MinibatchDiscrimination,
    MinibatchStdDev,
    Packed,
    VirtualBatchNorm,
    pack,
)
from jaxgan.nets.aae import AdversarialAutoencoder, CodeDiscriminators
from jaxgan.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from jaxgan.nets.ebgan import AutoencoderDiscriminator
from jaxgan.nets.heads import AuxiliaryDiscriminator
from jaxgan.nets.mlp import MLPDiscriminator, MLPGenerator
from jaxgan.nets.resnet import ResNetDiscriminator, ResNetGenerator
from jaxgan.nets import translation
from jaxgan.nets.translation import CycleGenerators, DomainDiscriminators, PatchGAN, ResNetTranslator, UNetGenerator

__all__ = [
    "MLPGenerator",
    "MLPDiscriminator",
    "DCGANGenerator",
    "DCGANDiscriminator",
    "ResNetGenerator",
    "ResNetDiscriminator",
    "AuxiliaryDiscriminator",
    "AutoencoderDiscriminator",
    "AdversarialAutoencoder",
    "CodeDiscriminators",
    "UNetGenerator",
    "PatchGAN",
    "ResNetTranslator",
    "CycleGenerators",
    "DomainDiscriminators",
    "Maxout",
    "MinibatchDiscrimination",
    "MinibatchStdDev",
    "VirtualBatchNorm",
    "Packed",
    "pack",
]

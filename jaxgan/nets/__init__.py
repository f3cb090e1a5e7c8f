"""Flax (linen) networks. Discriminators return logits; generators return samples.

Every network is called as `module.apply(variables, inputs, train=bool)`; BatchNorm layers use
batch statistics when `train=True` and their running averages otherwise. `axis_name` (where a
network has it) makes BatchNorm average its statistics over a `jax.pmap` axis, so a pmapped step
normalizes by the global batch exactly as a single-device step does.

Families by `model.name` (each declares its options; `jaxgan.nets.registry`):

    mlp      MLPGenerator, MLPDiscriminator              2D points and small images
    dcgan    DCGANGenerator, DCGANDiscriminator          Radford et al. 2016; 28, 32, 64 pixels
    resnet   ResNetGenerator, ResNetDiscriminator        SNGAN's CIFAR-10 ResNet (Miyato et al. 2018)
    began    BEGANDecoder, BEGANDiscriminator            Berthelot et al. 2017; 28, 32, 64 pixels

Networks the games build themselves: `AuxiliaryDiscriminator` (class, code and projection heads),
`AutoencoderDiscriminator` (EBGAN), `BEGANAutoencoder` and `LucicAutoencoder` (BEGAN),
`ClusterGANNetworks` (G with its encoder), `AdversarialAutoencoder` and `CodeDiscriminators` (AAE),
and the translation networks (`UNetGenerator`, `PatchGAN`, `ResNetTranslator`,
`CycleGenerators`, `DomainDiscriminators`). Technique layers (minibatch discrimination,
packing, virtual batch norm) are in `jaxgan.techniques`.
"""

from jaxgan.nets import translation
from jaxgan.nets.aae import AdversarialAutoencoder, CodeDiscriminators
from jaxgan.nets.began import BEGANAutoencoder, BEGANDecoder, BEGANDiscriminator, BEGANEncoder, LucicAutoencoder
from jaxgan.nets.clustergan import ClusterGANNetworks
from jaxgan.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from jaxgan.nets.ebgan import AutoencoderDiscriminator
from jaxgan.nets.heads import AuxiliaryDiscriminator
from jaxgan.nets.layers import Maxout, WeightNormDense
from jaxgan.nets.mlp import MLPDiscriminator, MLPGenerator
from jaxgan.nets.registry import FAMILIES, build_networks
from jaxgan.nets.resnet import ResNetDiscriminator, ResNetGenerator
from jaxgan.nets.translation import CycleGenerators, DomainDiscriminators, PatchGAN, ResNetTranslator, UNetGenerator

__all__ = [
    "FAMILIES",
    "AdversarialAutoencoder",
    "AutoencoderDiscriminator",
    "AuxiliaryDiscriminator",
    "BEGANAutoencoder",
    "BEGANDecoder",
    "BEGANDiscriminator",
    "BEGANEncoder",
    "ClusterGANNetworks",
    "CodeDiscriminators",
    "CycleGenerators",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "DomainDiscriminators",
    "LucicAutoencoder",
    "MLPDiscriminator",
    "MLPGenerator",
    "Maxout",
    "PatchGAN",
    "ResNetDiscriminator",
    "ResNetGenerator",
    "ResNetTranslator",
    "UNetGenerator",
    "WeightNormDense",
    "build_networks",
    "translation",
]

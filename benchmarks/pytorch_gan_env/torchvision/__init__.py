"""The three pieces of torchvision that PyTorch-GAN's MNIST scripts use (`datasets.MNIST`,
`transforms.Compose/Resize/ToTensor/Normalize`, `utils.save_image`), for interpreters where
torchvision's CPU wheel cannot be installed (PyPI's torchvision is a CUDA build). Each follows
torchvision's documented behaviour on the inputs those scripts give it; `benchmarks.pytorch_gan`
puts this folder first on the path only when the interpreter has no working torchvision.
"""

from torchvision import datasets, transforms, utils  # noqa: F401

"""The context encoder (Pathak et al. 2016, CVPR, arXiv:1604.07379) on MNIST: fill the central
block of held-out digits from their context, with the masked L2 loss and the adversarial loss at
the paper's weights (`jaxgan/games/context_encoder.py`).

    ./run jaxgan train --config experiments/images/context_encoder.py --workdir runs/context_encoder
    # the paper's L2-only model, the comparison of its Table 2 and Fig. 5:
    ./run jaxgan train --config experiments/images/context_encoder.py --config.game.lambda_adv=0 \\
        --workdir runs/context_encoder_l2
    # random regions instead of the central block:
    ./run jaxgan train --config experiments/images/context_encoder.py --config.game.mask=random_region ...
    # Fashion-MNIST (its training mean is 0.286):
    ./run jaxgan train --config experiments/images/context_encoder.py --config.data.name=fashion_mnist \\
        --config.game.hole_fill=-0.428 ...

Settings, the authors' (pathak22/context-encoder, train.lua, with the README's central-block
command: wtl2 0.999, overlapPred 4, nBottleneck 4000): lambda_rec 0.999, lambda_adv 0.001; the
hole filled with the data's mean (MNIST's training mean 0.1307, -0.739 in [-1, 1]); the L2 loss
weighted 10x on the block's border of known pixels; the discriminator on the block alone; Adam
with beta1 0.5, the generator at 10x the discriminator's rate (2e-3 and 2e-4), batch 64, no EMA;
kernels from N(0, 0.02^2), no biases. Scaled to 28-pixel images: the central block is 14 pixels
(theirs 64 of 128), its border 1 pixel (theirs 4 of 64: the same 1/16 of the block), the
networks 3 downsamplings deep (theirs 5). 5,000 steps (5.3 epochs; the authors' ImageNet run:
25 epochs). Every 1,000 steps the fills of the whole test split are scored (`inpainting`).
"""

from jaxgan import presets

MNIST_MEAN = 0.1307  # of the training images' pixels in [0, 1]


def get_config():
    config = presets.image(loss="non_saturating", learning_rate=2e-4, b1=0.5, b2=0.999)
    config.game.name = "context_encoder"
    config.game.mask = "center"
    config.game.overlap = 1
    config.game.hole_fill = round(2 * MNIST_MEAN - 1, 4)
    config.optimizer.g.learning_rate = 2e-3
    config.ema_decay = 0.0
    config.ema_rampup = 0.0
    config.train.num_steps = 5_000
    config.train.eval_every = 1000
    config.train.plot_every = 500
    return config

"""CoGAN (Liu & Tuzel 2016, arXiv:1606.07536) on MNIST digits and their edge images: two GANs, the
generators sharing all but their last layer and the discriminators all but their first, trained
on unpaired images of the two domains, learn to draw corresponding pairs (`jaxgan/games/cogan.py`).

    ./run jaxgan train --config experiments/images/cogan.py --workdir runs/cogan_edges
    ./run jaxgan train --config experiments/images/cogan.py --config.data.name=mnist_negatives \\
        --workdir runs/cogan_negatives

Settings (the authors' code, mingyuliutw/CoGAN, as its PyTorch port `cogan_pytorch` trains MNIST
and edges: `mnistedge_cogan.yaml`, `trainer_cogan_mnistedge.py`): the paper's networks
(`model.name="cogan"`: G z -> 4x4x1024 -> 7x7x512 -> 13x13x256 -> 25x25x128 -> 28x28 per domain,
BatchNorm and PReLU; D per domain 5x5 conv 20, then shared 5x5 conv 50, FC 500, PReLU, FC 1,
max pooling after the convolutions), z 100-d N(0, I), the non-saturating loss, Adam 2e-4 (0.5,
0.999) for both players with L2 weight decay 5e-4, alternating updates, batch 64 per domain,
5,000 iterations; the data of `data.coupled` (60,000 training digits shuffled, half as digits,
half transformed, none in both). The Caffe release the paper's numbers come from trains 50,000
iterations of batch 128 with z ~ U(-1, 1) (`--config.train.num_steps=50000
--config.data.batch_size=128 --config.game.noise=uniform`). Deviations, named: the networks'
(`nets.cogan`); flax's LeCun-normal initialization (the port: Xavier uniform with gain sqrt(2) and
biases 0.1; Caffe: MSRA); weight decay on the weights only (Caffe's decay_mult; the port's Adam
decays every parameter); the EMA generator is evaluated beside the raw one; 10,000 pairs scored
every 1,000 steps.
"""

from jaxgan import presets


def get_config():
    config = presets.image(loss="non_saturating", learning_rate=2e-4, b1=0.5, b2=0.999, d_norm="none")
    config.game.name = "cogan"
    config.data.name = "mnist_edges"
    config.model.name = "cogan"
    config.model.latent_dim = 100
    for side in ("g", "d"):
        config.optimizer[side].weight_decay = 5e-4
    config.train.num_steps = 5_000
    config.train.eval_every = 1000
    config.train.plot_every = 500
    return config

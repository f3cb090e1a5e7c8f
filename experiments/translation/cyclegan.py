"""CycleGAN (Zhu et al. 2017): two ResNet generators, two PatchGANs, LSGAN, cycle and identity
losses, a history pool of 50 generated images per domain, linear learning-rate decay.

    ./run jaxgan train --config experiments/translation/cyclegan.py --config.data.source=idx \\
        --config.data.dir=$JAXGAN_DATASETS --workdir runs/cyclegan_mnist2fashion
    ./run jaxgan translate --checkpoint runs/cyclegan_mnist2fashion --input digits/ --direction a2b
    # with internet: --config.data.name=cycle_gan/horse2zebra --config.data.source=tfds
    #   --config.translation.resnet_blocks=9 --config.data.image_size=256

The paper's setup (Sec. 4, App. 7): ResNet generator with reflection padding and instance norm,
9 residual blocks at 256 x 256 and 6 at 128 x 128 (6 here, for 32 x 32); 70 x 70 PatchGANs with
instance norm; LSGAN objective, D's objective halved; cycle lambda 10, identity 0.5 lambda = 5;
history pool of 50 images per domain (in the train state, so resume is exact); Adam(2e-4, 0.5),
batch 1, the learning rate constant for the first half of training and then linearly to 0.
The default task is mnist2fashion (MNIST digits <-> Fashion-MNIST items, 32 x 32, unpaired).
"""

from jaxgan import presets


def get_config():
    config = presets.translation(game="cyclegan", data="mnist2fashion", loss="least_squares", batch_size=1,
                                num_steps=200_000)
    config.translation.generator = "resnet"
    config.translation.resnet_blocks = 6
    config.translation.norm = "instance"
    config.translation.patch_layers = 3
    config.translation.cycle_weight = 10.0
    config.translation.identity_weight = 5.0
    config.translation.pool_size = 50
    for side in ("g", "d"):
        config.optimizer[side].schedule = "linear_decay"
        config.optimizer[side].decay_start = 0.5
    return config

"""SNGAN with ADA, LeCam regularization and DiffAugment together: the 'bgc' pipeline at the
adaptive p (Karras et al. 2020), then DiffAugment's color, translation, cutout (Zhao et al. 2020)
on every image D sees, and LeCam's regularizer at 0.3 (Tseng et al. 2021, who pair it with either
augmentation). The settings are each recipe's own (`sngan_ada.py`, `sngan_diffaugment.py`,
`sngan_lecam.py`).

    ./run jaxgan train --config experiments/data_efficient/sngan_ada_lecam_diffaugment.py \\
        --config.data.name=mnist --config.data.train_size=600 --workdir runs/sngan_all_600
"""

from jaxgan import presets


def get_config():
    config = presets.sngan()
    config.techniques.ada.pipeline = "bgc"
    config.techniques.ada.target = 0.6
    config.techniques.diffaugment = "color,translation,cutout"
    config.techniques.lecam.weight = 0.3
    return config

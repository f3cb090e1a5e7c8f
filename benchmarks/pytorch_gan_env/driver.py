"""Run one PyTorch-GAN script unchanged for a fixed number of discriminator batches, then draw
samples from its `generator` (runs in an interpreter with torch; imports nothing of jaxgan).

    python driver.py --script implementations/dcgan/dcgan.py --batches 15600 --num-samples 10000 \\
        --out samples.npz [--threads 2] [--seed 0] [-- --lr 0.0002 ...]   (the script's own flags)

The script runs from its own folder (so its "../../data/mnist" and "images/" resolve inside the
harness's copy) with `--n_epochs` large; training stops when its data loader has yielded
`--batches` batches (each script updates D once per batch). Samples are drawn as the scripts draw
theirs (the generator in training mode, so BatchNorm uses batch statistics; batches of 64, z ~
N(0, I) of the script's `opt.latent_dim`), mapped to uint8 as `save_image` does and, for scripts
trained at another size (32 pixels), resized to 28 as torchvision's Resize(28) would.
Writes OUT (images, uint8 (N, 28, 28)) and OUT.json (batches, seconds, the script's options).
"""

import argparse
import json
import os
import sys
import time


class BudgetReached(Exception):
    pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--script", required=True)
    parser.add_argument("--batches", type=int, required=True)
    parser.add_argument("--num-samples", type=int, default=10_000)
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args, script_args = parser.parse_known_args()
    script_args = [a for a in script_args if a != "--"]

    import numpy as np
    import torch
    from PIL import Image

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    seen = {"batches": 0}
    original_iter = torch.utils.data.DataLoader.__iter__

    def counted(loader):
        for batch in original_iter(loader):
            if seen["batches"] >= args.batches:
                raise BudgetReached
            seen["batches"] += 1
            yield batch

    torch.utils.data.DataLoader.__iter__ = counted
    script = os.path.abspath(args.script)
    out = os.path.abspath(args.out)
    os.chdir(os.path.dirname(script))
    sys.argv = [script, "--n_epochs", "100000", *script_args]
    namespace = {"__name__": "__main__", "__file__": script}
    started = time.perf_counter()
    try:
        exec(compile(open(script).read(), script, "exec"), namespace)
    except BudgetReached:
        pass
    seconds = time.perf_counter() - started
    if seen["batches"] < args.batches:
        raise SystemExit(f"{script} ended after {seen['batches']} batches, before the budget of {args.batches}")
    generator, opt = namespace["generator"], namespace["opt"]
    images = []
    with torch.no_grad():
        for start in range(0, args.num_samples, 64):
            z = torch.randn(min(64, args.num_samples - start), opt.latent_dim)
            images.append(generator_images(generator(z), opt))
    images = np.concatenate(images)[: args.num_samples]
    if images.shape[1] != 28:
        images = np.stack([np.asarray(Image.fromarray(im).resize((28, 28), Image.BILINEAR)) for im in images])
    np.savez(out, images=images)
    options = {k: v for k, v in vars(opt).items() if isinstance(v, (int, float, str, bool))}
    with open(out + ".json", "w") as f:
        json.dump({"script": args.script, "batches": seen["batches"], "seconds": seconds, "options": options,
                   "threads": args.threads, "seed": args.seed, "torch": torch.__version__}, f, indent=2)


def generator_images(x, opt):
    """(B, C, H, W) or (B, C*H*W) generator outputs in [-1, 1] -> uint8 (B, H, W) as save_image
    writes them without normalize (x * 127.5 + 127.5, clamped, rounded)."""
    import numpy as np

    size = getattr(opt, "img_size", 28)
    x = x.detach().cpu().numpy().reshape(-1, size, size)
    return np.clip(np.floor(x * 127.5 + 127.5 + 0.5), 0, 255).astype(np.uint8)


if __name__ == "__main__":
    main()

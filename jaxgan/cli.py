"""The `jaxgan` command.

  jaxgan train    --config experiments/gan_ns_2d.py [--config.KEY=VALUE ...] --workdir DIR
  jaxgan sample   --workdir DIR [--step N] [--num N] [--seed S] [--raw] [--out FILE.png]
                  [--by-class [--per-class N]]   (conditional models: one row per class)
  jaxgan evaluate --workdir DIR [--step N] [--metrics fid,kid,pr,dc,is,modes] [--num-samples N]
                  [--batch-size B] [--feature-network NAME] [--inception-weights FILE.npz] [--raw]
  jaxgan translate --checkpoint WORKDIR[/checkpoints/STEP] --input DIR [--output DIR]
                  [--direction a2b|b2a] [--raw]   (pix2pix / cyclegan runs)
  jaxgan data prepare NAME [--data-dir DIR] [--from DIR]

`train` resumes from the newest checkpoint in DIR. `sample` and `evaluate` need only DIR (the
run's saved config.json and checkpoints), no dataset. Multi-host: add `--distributed` (and
`--coordinator HOST:PORT --num-processes N --process-id I` where the cluster does not tell JAX).
Exit codes: 0 done, 1 non-finite loss, 2 bad configuration or arguments, 128+signal when
stopped by SIGTERM/SIGINT (after saving a checkpoint).
"""

import argparse
import json
import os
import sys

from absl import flags
from ml_collections import ConfigDict, config_flags


def _parse_train_config(argv):
    """Parse `--config FILE` and `--config.KEY=VALUE` overrides with ml_collections."""
    # ml_collections registers the --config.KEY override flags while parsing `--config=FILE`;
    # accept the two-word form `--config FILE` too.
    argv = list(argv)
    if "--config" in argv and argv.index("--config") + 1 < len(argv):
        i = argv.index("--config")
        argv[i : i + 2] = [f"--config={argv[i + 1]}"]
    _make_recipe_package_importable(argv)
    flag_values = flags.FlagValues()
    argv = ["jaxgan-train"] + argv
    config_flags.DEFINE_config_file(
        "config", None, "recipe file with get_config()", flag_values=flag_values, sys_argv=argv
    )
    try:
        flag_values(argv)
    except (flags.Error, KeyError, AttributeError, ValueError, TypeError) as error:
        raise SystemExit(f"jaxgan train: bad config arguments: {error}")
    if flag_values.config is None:
        raise SystemExit("jaxgan train: --config FILE is required (e.g. --config experiments/gan_ns_2d.py)")
    return flag_values.config


def _make_recipe_package_importable(argv):
    """Recipes may import their package's shared modules (`from experiments.image_common import
    ...`): put the folder holding the recipe's top package on sys.path, as `python -m` would from
    the repository root. The `jaxgan` script alone only has its own bin folder there."""
    paths = [a.split("=", 1)[1] for a in argv if a.startswith("--config=")]
    if not paths or not os.path.isfile(paths[0]):
        return
    folder = os.path.dirname(os.path.abspath(paths[0]))
    while os.path.isfile(os.path.join(folder, "__init__.py")):
        folder = os.path.dirname(folder)
    if folder not in sys.path:
        sys.path.insert(0, folder)


def _load_run_config(workdir):
    path = os.path.join(workdir, "config.json")
    if not os.path.exists(path):
        raise SystemExit(f"no config.json in {workdir!r}: is it the workdir of a `jaxgan train` run?")
    with open(path) as f:
        saved = json.load(f)
    from jaxgan.config import base_config

    config = base_config()  # keys added since the run was saved keep their defaults
    config.update(saved)
    return config


def _restore(config, workdir, step):
    from jaxgan.checkpoint import Checkpointer
    from jaxgan.train import Program

    program = Program(config)
    checkpointer = Checkpointer(os.path.join(workdir, "checkpoints"), keep=config.train.keep_checkpoints)
    if checkpointer.latest_step() is None:
        raise SystemExit(f"no checkpoint in {checkpointer.directory}")
    state, _ = checkpointer.restore(program.init_state(), step=step)
    checkpointer.close()
    return program, state


def _common(parser):
    parser.add_argument("--workdir", required=True, help="run directory (checkpoints, logs, samples)")
    parser.add_argument("--distributed", action="store_true", help="call jax.distributed.initialize first")
    parser.add_argument("--coordinator", default=None, help="coordinator HOST:PORT for --distributed")
    parser.add_argument("--num-processes", type=int, default=None)
    parser.add_argument("--process-id", type=int, default=None)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="jaxgan", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    _common(commands.add_parser("train", help="train a recipe (resumes from the newest checkpoint)"))
    sample = commands.add_parser("sample", help="draw samples from a checkpoint")
    _common(sample)
    sample.add_argument("--step", type=int, default=None, help="checkpoint step (default: newest)")
    sample.add_argument("--num", type=int, default=2500)
    sample.add_argument("--seed", type=int, default=0, help="sampling seed")
    sample.add_argument("--raw", action="store_true", help="use the raw generator, not its EMA")
    sample.add_argument("--out", default=None, help="PNG path (default WORKDIR/samples/sample_STEP.png); an .npz is written beside it")
    sample.add_argument("--by-class", action="store_true",
                        help="conditional models: a grid with one row per class (InfoGAN: per categorical code value)")
    sample.add_argument("--per-class", type=int, default=10, help="columns of the --by-class grid (noise shared down a column)")
    evaluate = commands.add_parser("evaluate", help="evaluate a checkpoint; writes WORKDIR/eval/*.json with the protocol")
    _common(evaluate)
    evaluate.add_argument("--step", type=int, default=None, help="checkpoint step (default: newest)")
    evaluate.add_argument("--metrics", default=None, help="comma list of modes,fid,kid,pr,dc,is (default: the run's eval.metrics)")
    evaluate.add_argument("--num-samples", type=int, default=None, help="generated samples per seed (default: eval.num_samples)")
    evaluate.add_argument("--num-reference", type=int, default=None, help="reference images (0 = the whole split)")
    evaluate.add_argument("--batch-size", type=int, default=None, help="evaluation batch size (independent of training)")
    evaluate.add_argument("--feature-network", default=None, help="points, mnist, fashion_mnist or inception")
    evaluate.add_argument("--inception-weights", default=None, help="FID Inception .npz (see python -m jaxgan.metrics.inception)")
    evaluate.add_argument("--data-dir", default=None, help="where the reference data are (default: the run's data.dir)")
    evaluate.add_argument("--seed", type=int, default=None, help="sampling seed (default: the run's eval key)")
    evaluate.add_argument("--raw", action="store_true", help="use the raw generator, not its EMA")
    translate = commands.add_parser("translate", help="translate a folder of images with a pix2pix / cyclegan checkpoint")
    translate.add_argument("--checkpoint", required=True,
                           help="the run's workdir (newest checkpoint) or WORKDIR/checkpoints/STEP")
    translate.add_argument("--input", required=True, help="folder of images (png, jpg, ...), resized to the model's size")
    translate.add_argument("--output", default=None, help="folder for the translations (default: INPUT_translated)")
    translate.add_argument("--direction", choices=("a2b", "b2a"), default="a2b",
                           help="cyclegan: G (a2b) or F (b2a); pix2pix translates source -> target only")
    translate.add_argument("--raw", action="store_true", help="use the raw generator, not its EMA")
    translate.add_argument("--batch-size", type=int, default=64)
    data = commands.add_parser("data", help="dataset commands")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    prepare = data_commands.add_parser("prepare", help="prepare a TFDS dataset (array_record), offline with --from")
    prepare.add_argument("name", help="TFDS name, e.g. mnist, fashion_mnist, cifar10")
    prepare.add_argument("--data-dir", default=None, help="TFDS data_dir (default: TFDS's, ~/tensorflow_datasets)")
    prepare.add_argument("--from", dest="manual_dir", default=None, help="folder with the downloaded files (offline)")
    args, rest = parser.parse_known_args(argv)
    if args.command == "data":
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        from jaxgan.data.prepare import prepare as prepare_dataset

        print(prepare_dataset(args.name, data_dir=args.data_dir, manual_dir=args.manual_dir))
        return 0
    if args.command != "train" and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "translate":
        return _translate(args)

    if args.distributed:
        from jaxgan.parallel import initialize_distributed

        initialize_distributed(args.coordinator, args.num_processes, args.process_id)

    from jaxgan.config import ConfigError, validate
    from jaxgan.errors import MissingDependencyError

    try:
        if args.command == "train":
            return _train(_parse_train_config(rest), args.workdir)
        config = validate(_load_run_config(args.workdir))
        if args.command == "sample":
            return _sample(config, args)
        return _evaluate(config, args)
    except ConfigError as error:
        print(f"jaxgan: configuration error: {error}", file=sys.stderr)
        return 2
    except MissingDependencyError as error:
        print(f"jaxgan: {error}", file=sys.stderr)
        return 2


def _train(config, workdir):
    from jaxgan.train import Interrupted, NonFiniteLossError, train

    try:
        result = train(config, workdir)
    except NonFiniteLossError as error:
        print(f"jaxgan: {error}", file=sys.stderr)
        return 1
    except Interrupted as stop:
        print(f"jaxgan: {stop}", file=sys.stderr)
        return 128 + stop.signum
    summary = {k: v["mean"] for k, v in result["evaluation"]["summary"].items()}
    print(json.dumps({"step": result["step"], "evaluation": summary, "timing": result["timing"]}))
    return 0


def _sample(config, args):
    import jax
    import numpy as np

    from jaxgan.train import save_samples_figure

    program, state = _restore(config, args.workdir, args.step)
    step = int(np.asarray(state.step).reshape(-1)[0])
    use_ema = program.default_use_ema() and not args.raw
    if args.by_class:
        from jaxgan.game_evaluation import class_grid_latents
        from jaxgan.plots import save_image_grid

        num_classes = program.prior.num_classes if program.prior is not None else 0
        if not num_classes:
            raise SystemExit(f"jaxgan sample: --by-class needs a conditional model (game cgan, acgan, infogan with "
                             f"categorical codes, supervised / semi-supervised aae); this run's game is {config.game.name!r}")
        if args.per_class < 1:
            raise SystemExit(f"jaxgan sample: --per-class must be >= 1, got {args.per_class}")
        latents = class_grid_latents(program.prior, jax.random.key(args.seed), num_classes, args.per_class)
        samples = program.decode(state, latents, use_ema)
        out = args.out or os.path.join(args.workdir, "samples", f"by_class_{step:08d}.png")
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        np.savez(os.path.splitext(out)[0] + ".npz", samples=samples, step=step,
                 labels=np.repeat(np.arange(num_classes), args.per_class))
        save_image_grid(samples[0], out, rows=num_classes)
        print(out)
        return 0
    samples = program.samples(state, jax.random.key(args.seed), num=args.num, use_ema=use_ema)
    out = args.out or os.path.join(args.workdir, "samples", f"sample_{step:08d}.png")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    np.savez(os.path.splitext(out)[0] + ".npz", samples=samples, step=step)
    save_samples_figure(config, samples, out, step=step)
    print(out)
    return 0


def _checkpoint_location(path):
    """(workdir, step or None) of `--checkpoint`: a workdir or WORKDIR/checkpoints/STEP."""
    path = os.path.normpath(path)
    parent, leaf = os.path.split(path)
    if leaf.isdigit() and os.path.basename(parent) == "checkpoints":
        return os.path.dirname(parent), int(leaf)
    return path, None


def _read_images(folder, shape):
    """(file names, float32 images (N, *shape) in [-1, 1]) of every image file in `folder`."""
    import numpy as np
    from PIL import Image

    from jaxgan.data.images import IMAGE_EXTENSIONS

    if not os.path.isdir(folder):
        raise SystemExit(f"jaxgan translate: --input {folder!r} is not a folder")
    names = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))
    if not names:
        raise SystemExit(f"jaxgan translate: no image files ({', '.join(IMAGE_EXTENSIONS)}) in {folder!r}")
    height, width, channels = shape
    images = []
    for name in names:
        with Image.open(os.path.join(folder, name)) as image:
            image = image.convert("L" if channels == 1 else "RGB")
            if image.size != (width, height):
                image = image.resize((width, height), Image.BILINEAR)
            array = np.asarray(image, np.float32).reshape(height, width, channels)
        images.append(array / 127.5 - 1.0)
    return names, np.stack(images)


def _translate(args):
    import jax
    import numpy as np
    from PIL import Image

    from jaxgan.config import ConfigError, generator_input_shape, is_translation, validate
    from jaxgan.steps import _apply

    workdir, step = _checkpoint_location(args.checkpoint)
    try:
        config = validate(_load_run_config(workdir))
    except ConfigError as error:
        print(f"jaxgan: configuration error: {error}", file=sys.stderr)
        return 2
    if not is_translation(config):
        raise SystemExit(f"jaxgan translate: {workdir!r} is a {config.game.name!r} run; translate needs game pix2pix or cyclegan")
    if args.direction == "b2a" and config.game.name != "cyclegan":
        raise SystemExit("jaxgan translate: --direction b2a needs a cyclegan run (pix2pix learns source -> target only)")
    if args.batch_size < 1:
        raise SystemExit(f"jaxgan translate: --batch-size must be >= 1, got {args.batch_size}")
    program, state = _restore(config, workdir, step)
    seed_state = program.seed_states(state)[0]
    params = seed_state.ema_params if program.default_use_ema() and not args.raw else seed_state.g_params
    method = "b_to_a" if args.direction == "b2a" else None
    forward = jax.jit(lambda x: _apply(seed_state.generator, params, seed_state.g_state, x, train=False, method=method)[0])
    names, images = _read_images(args.input, generator_input_shape(config))
    output = args.output or os.path.normpath(args.input) + "_translated"
    os.makedirs(output, exist_ok=True)
    for start in range(0, len(images), args.batch_size):
        out = np.asarray(forward(images[start : start + args.batch_size]))
        pixels = np.clip((out + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
        for name, image in zip(names[start : start + args.batch_size], pixels):
            Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(
                os.path.join(output, os.path.splitext(name)[0] + ".png"))
    print(json.dumps({"translated": len(names), "output": output, "direction": args.direction,
                      "checkpoint_step": int(np.asarray(seed_state.step)), "workdir": workdir}))
    return 0


def _evaluation_config(config, args):
    """The run's config with the evaluation options of the command line, re-validated."""
    from jaxgan.config import validate

    config = ConfigDict(config.to_dict())
    overrides = {
        "metrics": args.metrics,
        "num_samples": args.num_samples,
        "num_reference": args.num_reference,
        "batch_size": args.batch_size,
        "feature_network": args.feature_network,
        "inception_weights": args.inception_weights,
    }
    for key, value in overrides.items():
        if value is not None:
            config.eval[key] = value
    if args.data_dir is not None:
        config.data.dir = args.data_dir
    return validate(config)


def _evaluate(config, args):
    import jax
    import time

    from jaxgan.evaluation import Evaluator
    from jaxgan.train import eval_key, record_evaluation

    config = _evaluation_config(config, args)
    program, state = _restore(config, args.workdir, args.step)
    step = int(state.step.reshape(-1)[0])
    key = eval_key(config) if args.seed is None else jax.random.key(args.seed)
    use_ema = program.default_use_ema() and not args.raw
    started = time.perf_counter()
    samples = program.samples(state, key, use_ema=use_ema)
    evaluation = record_evaluation(Evaluator(config), args.workdir, None, samples, step, key=key, use_ema=use_ema,
                                   name=f"evaluate_step_{step:08d}", program=program, state=state)
    summary = {k: v["mean"] for k, v in evaluation["summary"].items()}
    print(json.dumps({"step": step, "summary": summary, "seconds": round(time.perf_counter() - started, 2),
                      "record": os.path.join(args.workdir, "eval", f"evaluate_step_{step:08d}.json")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

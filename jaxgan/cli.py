"""The `jaxgan` command.

  jaxgan train    --config experiments/two_d/gan_ns_2d.py [--config.KEY=VALUE ...] --workdir DIR
                  [--step N] [--allow-config-change] [--devices N]
  jaxgan sample   --workdir DIR [--step N] [--num N] [--seed S] [--raw] [--out FILE.png]
                  [--by-class [--per-class N]]   (conditional models: one row per class)
  jaxgan evaluate --workdir DIR [--step N] [--metrics fid,kid,pr,dc,is,swd,modes] [--num-samples N]
                  [--batch-size B] [--feature-network NAME] [--inception-weights FILE.npz] [--raw]
                  [--out FILE.json]
  jaxgan evaluate --samples FOLDER|FILE.npz --dataset NAME [--data-source idx --data-dir DIR]
                  [--metrics ...] [--value-range 0,1] [--out FILE.json]   (any codebase's images)
  jaxgan translate --checkpoint WORKDIR[/checkpoints/STEP] --input DIR [--output DIR]
                  [--direction a2b|b2a] [--raw]   (pix2pix / cyclegan runs)
  jaxgan bench    --config experiments/images/dcgan.py [--config.KEY=VALUE ...] [--batch 64,256]
                  [--steps N] [--devices N] [--out FILE.jsonl]   (step time on random batches)
  jaxgan data prepare NAME [--data-dir DIR] [--from DIR]

`train`, `sample`, `evaluate`, `translate` and `bench` keep compiled programs in JAX's persistent
compilation cache (default ~/.cache/jaxgan/xla; `--compilation-cache DIR`, or
JAXGAN_COMPILATION_CACHE=DIR; `off` turns it off), so a relaunch does not compile again.

`train` resumes from the newest intact checkpoint in DIR (`--step N`: from checkpoint N; the
newer ones are moved to DIR/checkpoints.set_aside/). Resuming with a config that changes what the
run computes needs `--allow-config-change` (recorded in DIR/config_history.jsonl). A run resumes
on another number of devices (`--devices N`, or another machine) when it divides the batch, and
continues as a run on that many devices would. `sample` and `evaluate` need only DIR (the run's
saved config.json and checkpoints), no dataset, and read a running run's checkpoints safely
(a checkpoint rotated away meanwhile is replaced by the newest intact one). Multi-host:
add `--distributed` (and `--coordinator HOST:PORT --num-processes N --process-id I` where the
cluster does not tell JAX).

Exit codes: 0 done; 1 a non-finite loss or state (the last finite checkpoint is kept); 2 a user
error: bad configuration, arguments, data file, checkpoint, or a workdir held by another `train`
(one line on stderr; `--debug` or JAXGAN_DEBUG=1 shows the traceback); 3 the workdir could not be
written (disk full, quota, permissions); 4 another process of a multi-process run was lost
(`--peer-timeout`, default 60 s); 128+signal when stopped by SIGTERM/SIGINT (after saving a
checkpoint).
"""

import argparse
import errno
import json
import os
import sys

from absl import flags
from ml_collections import ConfigDict, config_flags

from jaxgan.errors import UsageError
from jaxgan.workdir import read_run_config


def _load_recipe(path):
    """`get_config()` of the recipe file at `path`; every way a recipe can be wrong is a
    `UsageError` naming the file (and line)."""
    import importlib.util
    import traceback

    if not os.path.exists(path):
        raise UsageError(f"config file {path!r} does not exist")
    if not os.path.isfile(path) or not path.endswith(".py"):
        raise UsageError(f"config file {path!r} is not a Python file with get_config()")
    name = "jaxgan_recipe_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)

    def where(error):
        frames = [
            f for f in traceback.extract_tb(error.__traceback__) if os.path.abspath(f.filename) == os.path.abspath(path)
        ]
        return f"{path}, line {frames[-1].lineno}" if frames else path

    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise UsageError(f"{path}, line {error.lineno}: syntax error: {error.msg}") from None
    except Exception as error:  # the user's file: name it and the line, whatever it raised
        raise UsageError(f"{where(error)}: importing the config file raised {type(error).__name__}: {error}") from error
    if not callable(getattr(module, "get_config", None)):
        raise UsageError(f"config file {path!r} has no get_config() function")
    try:
        config = module.get_config()
    except Exception as error:
        raise UsageError(f"{where(error)}: get_config() raised {type(error).__name__}: {error}") from error
    if not isinstance(config, ConfigDict):
        raise UsageError(f"{path}: get_config() returned a {type(config).__name__}, not an ml_collections ConfigDict")
    return config


def _unknown_override(config, overrides):
    """A message naming the first `--config.KEY` whose KEY is not in `config`, else None."""
    import difflib

    for override in overrides:
        key = override[len("--config."):].split("=", 1)[0]
        node, walked = config, []
        for part in key.split("."):
            if not isinstance(node, ConfigDict) or part not in node:
                known = sorted(node.keys()) if isinstance(node, ConfigDict) else []
                close = difflib.get_close_matches(part, known, n=1)
                hint = f"; did you mean {'.'.join([*walked, close[0]])!r}?" if close else ""
                inside = f" in {'.'.join(walked)!r}" if walked and isinstance(node, ConfigDict) else ""
                if not isinstance(node, ConfigDict):
                    return f"{override}: {'.'.join(walked)!r} is a value, not a group of keys"
                return f"{override}: unknown config key {key!r} (no {part!r}{inside}){hint}"
            node = node[part]
            walked.append(part)
    return None


def _config_arguments(argv):
    """`argv` with the two-word form `--config FILE` joined into `--config=FILE`."""
    argv = list(argv)
    if "--config" in argv and argv.index("--config") + 1 < len(argv):
        i = argv.index("--config")
        argv[i : i + 2] = [f"--config={argv[i + 1]}"]
    return argv


def _parse_train_config(argv):
    """The recipe of `--config FILE` with the `--config.KEY=VALUE` overrides applied (values are
    parsed by ml_collections, by the type of the recipe's value)."""
    argv = _config_arguments(argv)
    paths = [a.split("=", 1)[1] for a in argv if a.startswith("--config=")]
    if not paths:
        raise UsageError("--config FILE is required (e.g. --config experiments/two_d/gan_ns_2d.py)")
    overrides = [a for a in argv if a.startswith("--config.")]
    others = [a for a in argv if not a.startswith(("--config=", "--config."))]
    if others:
        raise UsageError(f"unrecognized arguments: {' '.join(others)} (config values are set as --config.KEY=VALUE)")
    recipe = _load_recipe(paths[0])
    unknown = _unknown_override(recipe, overrides)
    if unknown:
        raise UsageError(unknown)
    flag_values = flags.FlagValues()
    argv = ["jaxgan-train", *overrides]
    config_flags.DEFINE_config_dict("config", recipe, flag_values=flag_values, sys_argv=argv)
    try:
        flag_values(argv)
    except (flags.Error, KeyError, AttributeError, ValueError, TypeError) as error:
        raise UsageError(f"bad config override: {error}") from None
    return flag_values.config


def _restore(config, workdir, step):
    from jaxgan.checkpoint import Checkpointer
    from jaxgan.run import Program

    program = Program(config)
    checkpointer = Checkpointer(os.path.join(workdir, "checkpoints"), keep=config.train.keep_checkpoints, create=False)
    try:
        state, _ = checkpointer.restore(
            program.init_state(), step=step, report=lambda line: print(f"jaxgan: {line}", file=sys.stderr)
        )
    finally:
        checkpointer.close()
    return program, state


def _common(parser, *, workdir_required=True):
    parser.add_argument("--workdir", required=workdir_required, help="run directory (checkpoints, logs, samples)")
    parser.add_argument("--distributed", action="store_true", help="call jax.distributed.initialize first")
    parser.add_argument("--coordinator", default=None, help="coordinator HOST:PORT for --distributed")
    parser.add_argument("--num-processes", type=int, default=None)
    parser.add_argument("--process-id", type=int, default=None)
    parser.add_argument("--peer-timeout", type=float, default=60.0,
                        help="with --distributed: seconds after which a silent process counts as lost; the others "
                        "then exit (code 4) naming it (default 60)")
    _debug(parser)
    _cache(parser)


def _debug(parser):
    parser.add_argument(
        "--debug", action="store_true", help="show the traceback of user errors too (or JAXGAN_DEBUG=1)"
    )


def _cache(parser):
    parser.add_argument("--compilation-cache", default=None, metavar="DIR|off",
                        help="folder of the persistent compilation cache (default: $JAXGAN_COMPILATION_CACHE, "
                             "else ~/.cache/jaxgan/xla); off turns it off")


def _batch_sizes(text):
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a comma list of integers, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"batch sizes must be >= 1, got {text!r}")
    return sizes


def _at_least(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


def _metrics_help():
    """The --metrics help, listing the registered evaluators (imported lazily: `--help` of the
    other commands does not load JAX)."""
    from jaxgan.evaluation import describe

    return ("comma list of evaluators (default: the run's eval.metrics; the game's own measures always come): "
            + describe())


def build_parser() -> argparse.ArgumentParser:
    """The `jaxgan` command's argument parser (train and bench take their config flags after it)."""
    parser = argparse.ArgumentParser(
        prog="jaxgan", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a recipe (resumes from the newest intact checkpoint)")
    _common(train)
    train.add_argument("--step", type=_at_least(0), default=None,
                       help="resume from this checkpoint (newer ones are moved to checkpoints.set_aside/)")
    train.add_argument("--devices", type=_at_least(1), default=None,
                       help="train on the first N devices (default: all; on CPU, N virtual devices when more are "
                       "asked); a run resumes on any count that divides its batch")
    train.add_argument(
        "--allow-config-change",
        action="store_true",
        help="resume although the config changes what the run computes (recorded in config_history.jsonl)",
    )
    sample = commands.add_parser("sample", help="draw samples from a checkpoint")
    _common(sample)
    sample.add_argument("--step", type=_at_least(0), default=None, help="checkpoint step (default: newest intact)")
    sample.add_argument("--num", type=_at_least(1), default=2500)
    sample.add_argument("--seed", type=int, default=0, help="sampling seed")
    sample.add_argument("--raw", action="store_true", help="use the raw generator, not its EMA")
    sample.add_argument(
        "--out", default=None, help="PNG path (default WORKDIR/samples/sample_STEP.png); an .npz is written beside it"
    )
    sample.add_argument("--by-class", action="store_true",
                        help="conditional models: a grid with one row per class (InfoGAN: per categorical code value)")
    sample.add_argument(
        "--per-class", type=_at_least(1), default=10, help="columns of the --by-class grid (noise shared down a column)"
    )
    evaluate = commands.add_parser(
        "evaluate", help="evaluate a checkpoint (writes WORKDIR/eval/*.json with the protocol), or score a folder "
        "or .npz of images against a data set (--samples)"
    )
    _common(evaluate, workdir_required=False)
    evaluate.add_argument("--samples", default=None,
                          help="score these images instead of a run: a folder of image files or an .npz (uint8 "
                          "[0, 255], or float [-1, 1]; --value-range for float [0, 1]); needs --dataset")
    evaluate.add_argument("--dataset", default=None, help="with --samples: the data set to compare with (mnist, ...)")
    evaluate.add_argument("--data-source", default="tfds", help="with --samples: where the data set is read from "
                          "(tfds, idx, npz, folder; as data.source)")
    evaluate.add_argument("--value-range", default="auto", help="with --samples: the range of float images: auto, "
                          "0,1 or -1,1")
    evaluate.add_argument("--out", default=None,
                          help="the JSON record (default: WORKDIR/eval/evaluate_step_STEP.json; with --samples, "
                          "PATH.eval.json beside PATH)")
    evaluate.add_argument("--step", type=_at_least(0), default=None, help="checkpoint step (default: newest intact)")
    evaluate.add_argument("--metrics", default=None, help=_metrics_help())
    evaluate.add_argument(
        "--num-samples", type=_at_least(1), default=None, help="generated samples per seed (default: eval.num_samples)"
    )
    evaluate.add_argument(
        "--num-reference", type=_at_least(0), default=None, help="reference images (0 = the whole split)"
    )
    evaluate.add_argument(
        "--batch-size", type=_at_least(1), default=None, help="evaluation batch size (independent of training)"
    )
    evaluate.add_argument("--feature-network", default=None, help="points, mnist, fashion_mnist or inception")
    evaluate.add_argument(
        "--inception-weights", default=None, help="FID Inception .npz (see python -m jaxgan.metrics.inception)"
    )
    evaluate.add_argument("--data-dir", default=None, help="where the reference data are (default: the run's data.dir)")
    evaluate.add_argument("--seed", type=int, default=None,
                          help="sampling seed, and the key of KID's subsets (default: the run's eval key)")
    evaluate.add_argument("--raw", action="store_true", help="use the raw generator, not its EMA")
    evaluate.add_argument("--truncation", type=float, default=None,
                          help="sample with BigGAN's truncation trick: normal noise truncated to [-T, T] "
                          "(eval.truncation; 0 = none)")
    evaluate.add_argument("--truncation-psi", type=float, default=None,
                          help="sample with StyleGAN's truncation trick: w moved to w_avg + psi (w - w_avg) "
                          "(eval.truncation_psi; 1 = none)")
    translate = commands.add_parser(
        "translate", help="translate a folder of images with a pix2pix / cyclegan checkpoint"
    )
    translate.add_argument("--checkpoint", required=True,
                           help="the run's workdir (newest checkpoint) or WORKDIR/checkpoints/STEP")
    translate.add_argument(
        "--input", required=True, help="folder of images (png, jpg, ...), resized to the model's size"
    )
    translate.add_argument("--output", default=None, help="folder for the translations (default: INPUT_translated)")
    translate.add_argument("--direction", choices=("a2b", "b2a"), default="a2b",
                           help="cyclegan: G (a2b) or F (b2a); pix2pix translates source -> target only")
    translate.add_argument("--raw", action="store_true", help="use the raw generator, not its EMA")
    translate.add_argument("--batch-size", type=_at_least(1), default=64)
    _debug(translate)
    _cache(translate)
    data = commands.add_parser("data", help="dataset commands")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    prepare = data_commands.add_parser("prepare", help="prepare a TFDS dataset (array_record), offline with --from")
    prepare.add_argument("name", help="TFDS name, e.g. mnist, fashion_mnist, cifar10")
    prepare.add_argument("--data-dir", default=None, help="TFDS data_dir (default: TFDS's, ~/tensorflow_datasets)")
    prepare.add_argument("--from", dest="manual_dir", default=None, help="folder with the downloaded files (offline)")
    _debug(prepare)
    bench = commands.add_parser(
        "bench", help="time a recipe's compiled train step on random batches (no dataset needed)"
    )
    bench.add_argument(
        "--batch", type=_batch_sizes, default=None, help="comma list of batch sizes (default: the recipe's)"
    )
    bench.add_argument("--steps", type=_at_least(1), default=10, help="timed calls after one warm-up call")
    bench.add_argument(
        "--devices",
        type=_at_least(1),
        default=None,
        help="train on the first N devices (default: all; on CPU, N virtual devices when more are asked)",
    )
    bench.add_argument("--out", default=None, help="append the environment and one JSON line per batch size here")
    _debug(bench)
    _cache(bench)
    return parser


_WRITE_ERRNOS = (errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["train"]:
        # From here on SIGTERM / SIGINT are recorded, and the run stops cleanly at its first step
        # (see jaxgan.signals: a KeyboardInterrupt during the imports may be swallowed).
        from jaxgan.signals import StopFlag

        with StopFlag() as stop:
            return _main(argv, stop)
    return _main(argv, None)


def _main(argv, stop):
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    args.argv, args.stop = argv, stop
    if args.command not in ("train", "bench") and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    from jaxgan.errors import StorageError, UserError

    try:
        return _run(args, rest)
    except (UserError, StorageError) as error:
        if args.debug or os.environ.get("JAXGAN_DEBUG"):
            raise
        print(f"jaxgan {args.command}: {error}", file=sys.stderr, flush=True)
        return 2 if isinstance(error, UserError) else 3
    except OSError as error:
        # A write the folder checks could not foresee (the disk filled, the filesystem turned
        # read-only mid-run): exit 3 in one line. Other OS errors keep their traceback.
        if error.errno not in _WRITE_ERRNOS or args.debug or os.environ.get("JAXGAN_DEBUG"):
            raise
        print(f"jaxgan {args.command}: could not write {error.filename!r}: {error.strerror}", file=sys.stderr,
              flush=True)
        return 3


def _run(args, rest):
    if args.command == "data":
        from jaxgan.data.prepare import prepare as prepare_dataset

        print(prepare_dataset(args.name, data_dir=args.data_dir, manual_dir=args.manual_dir))
        return 0
    if args.command in ("bench", "train") and args.devices:
        # Virtual CPU devices must be asked for before JAX starts its backends (importing it is
        # fine); the flag changes only the CPU backend, so it is harmless where an accelerator runs.
        _ask_for_cpu_devices(os.environ, args.devices)
    from jaxgan import compilation_cache

    compilation_cache.configure(args.compilation_cache)
    if args.command == "bench":
        return _bench(args, rest)
    if args.command == "translate":
        return _translate(args)
    if args.distributed:
        from jaxgan.parallel import initialize_distributed

        initialize_distributed(args.coordinator, args.num_processes, args.process_id,
                               peer_timeout_s=args.peer_timeout)
    from jaxgan.config import validate

    if args.command == "train":
        return _train(_parse_train_config(rest), args)
    if args.command == "evaluate" and (args.samples is None) == (args.workdir is None):
        raise UsageError("evaluate needs either --workdir (a run) or --samples (a folder or .npz of images), not "
                         f"{'both' if args.samples else 'neither'}")
    if args.command == "evaluate" and args.samples is not None:
        return _evaluate_samples(args)
    config = validate(read_run_config(args.workdir))
    if args.command == "sample":
        return _sample(config, args)
    return _evaluate(config, args)


def _train(config, args):
    import jax

    from jaxgan.run import Interrupted, NonFiniteError, train

    try:
        result = train(config, args.workdir, step=args.step, allow_config_change=args.allow_config_change,
                       devices=_train_devices(args.devices), stop=args.stop)
    except jax.errors.JaxRuntimeError as error:
        if jax.process_count() == 1:
            raise
        from jaxgan.parallel import wait_for_lost_process

        wait_for_lost_process(args.peer_timeout, error)  # exits
    except NonFiniteError as error:
        print(f"jaxgan train: {error}", file=sys.stderr)
        return 1
    except Interrupted as stop:
        print(f"jaxgan train: {stop}", file=sys.stderr)
        return 128 + stop.signum
    summary = {k: v["mean"] for k, v in result["evaluation"]["summary"].items()}
    print(json.dumps({"step": result["step"], "evaluation": summary, "timing": result["timing"]}))
    return 0


def _train_devices(count):
    """The first `count` devices (None: all)."""
    if count is None:
        return None
    import jax

    available = jax.devices()
    if count > len(available):
        raise UsageError(f"--devices {count}: there are {len(available)} {available[0].device_kind} device(s)")
    return available[:count]


def _sample(config, args):
    import jax
    import numpy as np

    from jaxgan.files import save_npz
    from jaxgan.run import save_samples_figure

    _output_folder(args.out or os.path.join(args.workdir, "samples"), "the samples", args.out)
    program, state = _restore(config, args.workdir, args.step)
    step = int(np.asarray(state.step).reshape(-1)[0])
    use_ema = program.default_use_ema() and not args.raw
    if args.by_class:
        from jaxgan.evaluation.labels import class_grid_latents
        from jaxgan.plots import save_image_grid

        num_classes = program.prior.num_classes if program.prior is not None else 0
        if not num_classes:
            raise UsageError(
                f"--by-class needs a conditional model (game cgan, acgan, infogan with "
                f"categorical codes, supervised / semi-supervised aae); this run's game is {config.game.name!r}"
            )
        latents = class_grid_latents(program.prior, jax.random.key(args.seed), num_classes, args.per_class)
        samples = program.decode(state, latents, use_ema)
        out = args.out or os.path.join(args.workdir, "samples", f"by_class_{step:08d}.png")
        save_npz(os.path.splitext(out)[0] + ".npz", samples=samples, step=step,
                 labels=np.repeat(np.arange(num_classes), args.per_class))
        save_image_grid(samples[0], out, rows=num_classes)
        print(out)
        return 0
    samples = program.samples(state, jax.random.key(args.seed), num=args.num, use_ema=use_ema)
    out = args.out or os.path.join(args.workdir, "samples", f"sample_{step:08d}.png")
    save_npz(os.path.splitext(out)[0] + ".npz", samples=samples, step=step)
    save_samples_figure(config, samples, out, step=step)
    print(out)
    return 0


def _output_folder(path, what, given):
    """Check before the work that the folder of an output (`path`: the folder itself, or a file's
    path when `given`) can be written; the error says how to write elsewhere."""
    from jaxgan.errors import StorageError
    from jaxgan.files import writable_folder

    folder = os.path.dirname(os.path.abspath(path)) if given else path
    try:
        writable_folder(folder, what=f"the folder of {what}, {folder!r},")
    except StorageError as error:
        raise StorageError(f"{error}; pass --out to write {what} elsewhere" if not given else str(error)) from None


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
    from jaxgan.errors import DataError

    if not os.path.isdir(folder):
        raise UsageError(f"--input {folder!r} is not a folder")
    names = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))
    if not names:
        raise UsageError(f"no image files ({', '.join(IMAGE_EXTENSIONS)}) in {folder!r}")
    height, width, channels = shape
    images = []
    for name in names:
        path = os.path.join(folder, name)
        try:
            with Image.open(path) as image:
                image = image.convert("L" if channels == 1 else "RGB")
                if image.size != (width, height):
                    image = image.resize((width, height), Image.BILINEAR)
                array = np.asarray(image, np.float32).reshape(height, width, channels)
        except (OSError, SyntaxError, ValueError) as error:  # PIL's errors for a damaged or foreign file
            raise DataError(f"{path} is not a readable image ({type(error).__name__}: {error}); remove or replace "
                            "it") from None
        images.append(array / 127.5 - 1.0)
    return names, np.stack(images)


def _translate(args):
    import jax
    import numpy as np
    from PIL import Image

    from jaxgan import data, games
    from jaxgan.config import validate
    from jaxgan.files import atomic_path, writable_folder
    from jaxgan.games import apply

    workdir, step = _checkpoint_location(args.checkpoint)
    config = validate(read_run_config(workdir))
    if not data.is_translation_data(config.data):
        raise UsageError(f"{workdir!r} is a {config.game.name!r} run; translate needs game pix2pix or cyclegan")
    program, state = _restore(config, workdir, step)
    if args.direction == "b2a" and not hasattr(program.generator, "b_to_a"):
        raise UsageError("--direction b2a needs a cyclegan run (pix2pix learns source -> target only)")
    seed_state = program.seed_states(state)[0]
    params = seed_state.ema_params if program.default_use_ema() and not args.raw else seed_state.g_params
    method = "b_to_a" if args.direction == "b2a" else None
    forward = jax.jit(
        lambda x: apply(seed_state.generator, params, seed_state.g_state, x, train=False, method=method)[0]
    )
    names, images = _read_images(args.input, games.get(config.game.name).generator_input_shape(config))
    output = args.output or os.path.normpath(args.input) + "_translated"
    writable_folder(output, what=f"--output {output!r}")
    for start in range(0, len(images), args.batch_size):
        out = np.asarray(forward(images[start : start + args.batch_size]))
        pixels = np.clip((out + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
        for name, image in zip(names[start : start + args.batch_size], pixels):
            with atomic_path(os.path.join(output, os.path.splitext(name)[0] + ".png")) as temporary:
                Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(temporary)
    print(json.dumps({"translated": len(names), "output": output, "direction": args.direction,
                      "checkpoint_step": int(np.asarray(seed_state.step)), "workdir": workdir}))
    return 0


def _ask_for_cpu_devices(environ, count):
    flags = [
        f for f in environ.get("XLA_FLAGS", "").split() if not f.startswith("--xla_force_host_platform_device_count")
    ]
    environ["XLA_FLAGS"] = " ".join(flags + [f"--xla_force_host_platform_device_count={count}"])


def _bench(args, rest):
    import jax

    from jaxgan import bench
    from jaxgan.config import validate
    from jaxgan.files import append_line

    config = validate(_parse_train_config(rest))
    if args.out:
        _output_folder(args.out, "the bench results", True)
    devices = None
    if args.devices is not None:
        available = jax.devices()
        if args.devices > len(available):
            if available[0].platform == "cpu" and not os.environ.get("JAXGAN_BENCH_CHILD"):
                # This process started JAX with fewer virtual CPU devices: measure in a fresh one.
                import subprocess

                environ = {**os.environ, "JAXGAN_BENCH_CHILD": "1"}
                _ask_for_cpu_devices(environ, args.devices)
                return subprocess.run([sys.executable, "-m", "jaxgan.cli", *args.argv], env=environ).returncode
            raise UsageError(f"--devices {args.devices}: this machine has {len(available)} "
                             f"{available[0].device_kind} device(s)")
        devices = available[: args.devices]
    peaks = bench.matmul_peaks()
    environment = bench.environment()
    recipe = {"recipe": next(a.split("=", 1)[1] for a in _config_arguments(rest) if a.startswith("--config=")),
              "overrides": [a for a in rest if a.startswith("--config.")]}
    rows = []
    if args.out:
        append_line(args.out, json.dumps({"environment": environment, "matmul_peaks": peaks, **recipe}))
    for batch_size in args.batch or [config.data.batch_size]:
        row = {
            **recipe,
            **bench.measure_config(config, batch_size, steps=args.steps, peak=peaks["peak"], devices=devices),
            "device": environment["device"],
            "versions": environment["versions"],
        }
        rows.append(row)
        if args.out:
            append_line(args.out, json.dumps(row))
    print(f"{recipe['recipe']} {' '.join(recipe['overrides'])}".strip()
          + f" (seeds {config.num_seeds}, {config.train.fused_steps} fused iterations per call, {rows[0]['parallel']}; "
          "times are per iteration)")
    print(f"{environment['device']} x {rows[0]['devices']} of {environment['devices']}, jax {environment['jax']}, "
          f"{environment['cpu_count']} CPUs; peak from {peaks['source']}: "
          + ", ".join(f"{k} {v / 1e9:.0f} GFLOP/s" for k, v in peaks.items() if k not in ("peak", "source")))
    print(bench.table(rows, peaks["peak"]))
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
        "truncation": args.truncation,
        "truncation_psi": args.truncation_psi,
    }
    for key, value in overrides.items():
        if value is not None:
            config.eval[key] = value
    if args.data_dir is not None:
        config.data.dir = args.data_dir
    return validate(config)


def _evaluate(config, args):
    import time

    import jax

    from jaxgan.evaluation import Evaluations, eval_key
    from jaxgan.run import ProgramSampler, evaluation_path, record_evaluation

    config = _evaluation_config(config, args)
    _output_folder(args.out or os.path.join(args.workdir, "eval"), "the evaluation record", args.out)
    program, state = _restore(config, args.workdir, args.step)
    step = int(state.step.reshape(-1)[0])
    key = eval_key(config) if args.seed is None else jax.random.key(args.seed)
    use_ema = program.default_use_ema() and not args.raw
    started = time.perf_counter()
    out = args.out or evaluation_path(args.workdir, step, f"evaluate_step_{step:08d}")
    evaluation = record_evaluation(Evaluations(config), ProgramSampler(program, state), args.workdir, None, step,
                                   key=key, use_ema=use_ema, out=out)
    summary = {k: v["mean"] for k, v in evaluation["summary"].items()}
    print(json.dumps({"step": step, "summary": summary, "seconds": round(time.perf_counter() - started, 2),
                      "record": out}))
    return 0


def _samples_config(args):
    """The config that scores --samples: the data set (its reference split) and the evaluation options."""
    from jaxgan.config import base_config, validate

    if args.dataset is None:
        raise UsageError("evaluate --samples needs --dataset, the data set to compare the images with")
    for flag, value in (("--truncation", args.truncation), ("--truncation-psi", args.truncation_psi)):
        if value is not None:
            raise UsageError(f"{flag} changes how a run's generator samples; --samples scores images already made")
    config = base_config()
    config.data.name = args.dataset
    config.data.source = args.data_source
    config.data.dir = args.data_dir or ""
    config.eval.num_samples = 2  # the images decide how many are scored; validated as positive
    return _evaluation_config(validate(config), args)


def _evaluate_samples(args):
    import time

    from jaxgan import data
    from jaxgan.evaluation import Evaluations, eval_key
    from jaxgan.evaluation.image_files import ImageSet, load_images
    from jaxgan.files import write_json

    config = _samples_config(args)
    out = args.out or args.samples.rstrip("/" + os.sep) + ".eval.json"
    _output_folder(out, "the evaluation record", True)
    shape = data.known_shape(config.data) or data.example_shape(config.data)
    started = time.perf_counter()
    images = ImageSet(load_images(args.samples, shape, value_range=args.value_range), args.samples)
    import jax

    key = eval_key(config) if args.seed is None else jax.random.key(args.seed)  # KID's subsets draw from it
    evaluation = Evaluations(config).evaluate(images, key=key, use_ema=False, samples=images.images)
    evaluation["protocol"].update(generator=None, checkpoint_step=None, seeds=list(range(images.num_seeds)),
                                  sample_key=None, samples=os.path.abspath(args.samples))
    write_json(out, evaluation)
    summary = {k: v["mean"] for k, v in evaluation["summary"].items()}
    print(json.dumps({"samples": args.samples, "n": int(images.images.shape[1]), "summary": summary,
                      "seconds": round(time.perf_counter() - started, 2), "record": out}))
    return 0


def console():
    """The `jaxgan` script."""
    code = main()
    if code == 3:
        # After a failed write, orbax's failed asyncio tasks would each print a traceback when the
        # interpreter collects them at exit; everything of ours is closed and on disk: leave now.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    console()

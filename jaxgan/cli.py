"""The `jaxgan` command.

  jaxgan train    --config experiments/gan_ns_2d.py [--config.KEY=VALUE ...] --workdir DIR
  jaxgan sample   --workdir DIR [--step N] [--num N] [--seed S] [--raw] [--out FILE.png]
                  [--by-class [--per-class N]]   (conditional models: one row per class)
  jaxgan evaluate --workdir DIR [--step N] [--metrics fid,kid,pr,dc,is,modes] [--num-samples N]
                  [--batch-size B] [--feature-network NAME] [--inception-weights FILE.npz] [--raw]
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


def _load_run_config(workdir):
    path = os.path.join(workdir, "config.json")
    if not os.path.exists(path):
        raise SystemExit(f"no config.json in {workdir!r}: is it the workdir of a `jaxgan train` run?")
    with open(path) as f:
        return ConfigDict(json.load(f))


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

    if args.distributed:
        from jaxgan.parallel import initialize_distributed

        initialize_distributed(args.coordinator, args.num_processes, args.process_id)

    from jaxgan.config import ConfigError, validate

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

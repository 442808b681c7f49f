"""Does bf16 autocast train the same seed as fp32? Its loss curve against fp32's, step by step.

    python benchmarks/bf16_agreement.py FP32 BF16 [--scale l2 --seed 0]
    python benchmarks/bf16_agreement.py --train [--family cpu_depth --scale l2 --seed 0 --steps 800]

With two folders: FP32 and BF16 are seed folders (they hold `train_log.jsonl`)
or population folders (`hf-distscale train --precision ...`; then --scale and
--seed pick the seed). A seed's `train_log.jsonl` holds the loss of every
`LOG_EVERY`-th step (10: 80 points over the reduced preset's 800 steps), the
loss of that step's batch, and the in-distribution EM of every evaluation;
the two logs must be of the same seed, scale and training, and differ in
precision. With --train, the seed is trained here both ways with a loss
logged at every step (`trainer.LOG_EVERY = 1`; the losses are the same as a
population's, only read more often), evaluations and checkpoints off.

Prints the steps compared, the largest and mean absolute loss difference, the
median difference relative to fp32's loss, the final losses and the EM of
the last common evaluation, and the loss every `--every` steps. The
32-seed comparison of P(success), P(fail) and the mean is `hf-distscale
compare` on the two populations' results tables.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from pathlib import Path

from hf_distscale.console import ArgumentParser, report_errors

LOG = "train_log.jsonl"


def seed_folder(path: Path, scale: str | None, seed: int | None) -> Path:
    """`path` if it holds a train log, else the seed folder `path/<scale>/seed-NNNN` of a population."""
    if (path / LOG).exists():
        return path
    if scale is None or seed is None:
        raise ValueError(f"{path}: no {LOG} here; give a seed folder, or a population folder with --scale and --seed")
    folder = path / scale / f"seed-{seed:04d}"
    if not (folder / LOG).exists():
        raise OSError(f"{folder / LOG}: not found; is {path} a population folder with scale {scale} and seed {seed}?")
    return folder


def read_log(path: Path) -> tuple[dict, dict[int, float], dict[int, float]]:
    """(config, {step: loss}, {step: in-distribution EM}) of one seed's log; a step logged twice (a
    resumed run repeats the steps after its last checkpoint) keeps its last value."""
    config, losses, em = {}, {}, {}
    for number, line in enumerate((path / LOG).read_text().splitlines(), 1):
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path / LOG}: line {number} is not JSON ({err.msg}); the log is damaged, "
                             f"retrain the seed or use --train") from None
        if "config" in entry:
            config = entry["config"]
        if "loss" in entry:
            losses[entry["step"]] = entry["loss"]
        if "in_distribution_em" in entry:
            em[entry["step"]] = entry["in_distribution_em"]
    if not losses:
        raise ValueError(f"{path / LOG}: no loss lines; was the seed trained?")
    return config, losses, em


def check_pair(fp32: dict, bf16: dict, paths: tuple[Path, Path]) -> None:
    """The two logs are the same seed at two precisions, or the comparison means nothing."""
    if (fp32.get("precision"), bf16.get("precision")) != ("fp32", "bf16"):
        raise ValueError(f"{paths[0]} is {fp32.get('precision')} and {paths[1]} is {bf16.get('precision')}; "
                         f"give the fp32 seed first and the bf16 one second")
    differing = sorted(key for key in set(fp32) | set(bf16) if key != "precision" and fp32.get(key) != bf16.get(key))
    if differing:
        raise ValueError(f"{paths[0]} and {paths[1]} differ in {', '.join(differing)}; compare one seed "
                         f"trained twice, at fp32 and at bf16")


def trained_curves(family: str, scale: str, seed: int, steps: int) -> dict[str, dict[int, float]]:
    """One seed trained at fp32 and at bf16, reduced preset, every step's loss."""
    import torch

    from hf_distscale.models import llama_config, select_scales
    from hf_distscale.tasks import CountingTask
    from hf_distscale.training import TrainingConfig, train_seed, trainer

    class Curve:
        def __init__(self):
            self.losses = {}

        def log(self, values: dict, step: int | None = None) -> None:
            if "loss" in values:
                self.losses[step] = values["loss"]

    task = CountingTask.from_preset("reduced")
    config = llama_config(select_scales(family, task, scale)[0], task)
    training = TrainingConfig.from_preset("reduced", max_steps=steps, warmup_steps=min(50, steps),
                                          eval_every=steps + 1, checkpoint_every=steps + 1)
    trainer.LOG_EVERY = 1
    curves = {}
    for precision in ("fp32", "bf16"):
        curve = Curve()
        with tempfile.TemporaryDirectory() as tmp:
            train_seed(config, task, training, Path(tmp), init_seed=seed, data_seed=seed, precision=precision,
                       device=torch.device("cpu"), tracker=curve, progress=False)
        curves[precision] = curve.losses
    return curves


def print_agreement(source: str, losses: dict[str, dict[int, float]], em: dict[str, dict[int, float]],
                    every: int) -> None:
    steps = sorted(set(losses["fp32"]) & set(losses["bf16"]))
    if not steps:
        raise ValueError(f"{source}: the two logs share no logged step")
    difference = {step: losses["bf16"][step] - losses["fp32"][step] for step in steps}
    largest = max(steps, key=lambda step: abs(difference[step]))
    print(f"fp32 against bf16 autocast, {source}: {len(steps)} logged steps, {steps[0]}..{steps[-1]}")
    print("| measure | value |")
    print("|---|---:|")
    print(f"| largest abs loss difference | {abs(difference[largest]):.4f} (step {largest}) |")
    print(f"| mean abs loss difference | {statistics.mean(abs(d) for d in difference.values()):.4f} |")
    print(f"| median abs difference / fp32 loss | "
          f"{statistics.median(abs(difference[s]) / losses['fp32'][s] for s in steps):.2%} |")
    print(f"| final loss fp32 / bf16 (step {steps[-1]}) | {losses['fp32'][steps[-1]]:.4f} / "
          f"{losses['bf16'][steps[-1]]:.4f} |")
    evaluated = sorted(set(em["fp32"]) & set(em["bf16"]))
    if evaluated:
        print(f"| in-distribution EM fp32 / bf16 (step {evaluated[-1]}) | {em['fp32'][evaluated[-1]]:.3f} / "
              f"{em['bf16'][evaluated[-1]]:.3f} |")
    print("\n| step | fp32 loss | bf16 loss | bf16 - fp32 |")
    print("|---:|---:|---:|---:|")
    for step in steps:
        if step % every == 0 or step == steps[-1]:
            print(f"| {step} | {losses['fp32'][step]:.4f} | {losses['bf16'][step]:.4f} | {difference[step]:+.4f} |")


def run(args) -> None:
    if args.train:
        losses = trained_curves(args.family, args.scale or "l2", args.seed or 0, args.steps)
        source = (f"{args.family}/{args.scale or 'l2'} seed {args.seed or 0}, reduced preset, "
                  f"{args.steps} steps trained here")
        print_agreement(source, losses, {"fp32": {}, "bf16": {}}, args.every)
        return
    if args.fp32 is None or args.bf16 is None:
        raise ValueError("give the fp32 and bf16 seed (or population) folders, or --train")
    folders = (seed_folder(args.fp32, args.scale, args.seed), seed_folder(args.bf16, args.scale, args.seed))
    (fp32_config, fp32_losses, fp32_em), (bf16_config, bf16_losses, bf16_em) = map(read_log, folders)
    check_pair(fp32_config, bf16_config, folders)
    print_agreement(f"{folders[0]} and {folders[1]}", {"fp32": fp32_losses, "bf16": bf16_losses},
                    {"fp32": fp32_em, "bf16": bf16_em}, args.every)


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="bf16_agreement.py", description=__doc__.splitlines()[0])
    parser.add_argument("fp32", nargs="?", type=Path, help="the fp32 seed or population folder")
    parser.add_argument("bf16", nargs="?", type=Path, help="the bf16 seed or population folder")
    parser.add_argument("--scale", help="the scale, for population folders (--train: default l2)")
    parser.add_argument("--seed", type=int, help="the seed, for population folders (--train: default 0)")
    parser.add_argument("--train", action="store_true", help="train one seed both ways here instead")
    parser.add_argument("--family", default="cpu_depth", help="--train: the scale family (default cpu_depth)")
    parser.add_argument("--steps", type=int, default=800, help="--train: steps (default 800)")
    parser.add_argument("--every", type=int, default=100, help="print the loss every N steps (default 100)")
    return report_errors("bf16_agreement.py", run, parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())

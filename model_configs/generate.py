"""Write one `LlamaConfig` JSON per scale of the paper's three families (SPEC §3).

    python model_configs/generate.py            # rewrites model_configs/<family>/<scale>.json
    python model_configs/generate.py --out DIR  # writes elsewhere (the tests compare)

Shapes come from `hf_distscale/models/families/*.yaml`, vocabulary and
positions from the `paper` task preset. Other presets build their configs on
the fly from the same family files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hf_distscale.models import config_json, family_scales
from hf_distscale.tasks import CountingTask

PAPER_FAMILIES = ("fixed_depth", "fixed_width", "fixed_params")


def write_configs(out_dir: Path, preset: str = "paper") -> list[Path]:
    task = CountingTask.from_preset(preset)
    written = []
    for family in PAPER_FAMILIES:
        for scale in family_scales(family, task):
            path = out_dir / family / f"{scale.name}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(config_json(scale, task))
            written.append(path)
    return written


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent)
    for path in write_configs(parser.parse_args().out):
        print(path)

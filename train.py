"""Train a population; the same code as `hf-distscale train`.

    python train.py --family cpu_depth --scales l1,l2 --seeds 0-7 --preset reduced --out runs/
    torchrun --nproc_per_node 2 train.py ...             # CPU: 2 processes, seeds sharded
    accelerate launch --multi_gpu --num_processes 2 train.py ...
"""

import sys

from hf_distscale.training.cli import main

if __name__ == "__main__":
    sys.exit(main())

"""`python -m hf_distscale.training` (and `torchrun -m hf_distscale.training`): train a population."""

import sys

from hf_distscale.training.cli import main

sys.exit(main())

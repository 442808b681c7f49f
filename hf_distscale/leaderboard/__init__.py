"""The leaderboard: a static site (Hugging Face Space) built from results tables.

`build_leaderboard(sources, out_dir)` writes the site and returns its
index.html; `push_leaderboard(folder, space_id)` uploads it as a static Space.
"""

from hf_distscale.leaderboard.build import build_leaderboard
from hf_distscale.leaderboard.push import push_leaderboard

__all__ = ["build_leaderboard", "push_leaderboard"]

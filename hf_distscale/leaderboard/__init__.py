"""The leaderboard: a static site (Hugging Face Space) built from `analyze` output folders.

`build_site(analyses, out_dir)` writes the site and returns its index.html;
`push_leaderboard(folder, space_id)` uploads it as a static Space. The
package reads what `analyze` wrote and computes no statistic; building from
results tables (analyse, then build) is `hf_distscale.site`.
"""

from hf_distscale.leaderboard.build import build_site
from hf_distscale.leaderboard.push import push_leaderboard

__all__ = ["build_site", "push_leaderboard"]

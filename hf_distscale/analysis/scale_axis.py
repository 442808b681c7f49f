"""The x axis a family's scaling fits use.

Fits against scale need a numeric scale. The natural one is x = ln N, N the
parameter count. A fixed-parameter family keeps N about constant while it
trades width for depth, so ln N cannot order its scales; there the fits use
x = scale_index (0 = smallest) and say so. The rule: ln N when N rises
strictly with scale_index and grows at least MIN_PARAMETER_GROWTH-fold across
the family, otherwise scale_index.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from hf_distscale.analysis.schema import SERIES_KEY, scale_table

MIN_PARAMETER_GROWTH = 1.5


class ScaleAxis(NamedTuple):
    name: str  # "log_parameters" or "scale_index"
    values: np.ndarray  # one x per scale, in scale_index order


def scale_axis(scales: pd.DataFrame) -> ScaleAxis:
    """x per scale for one family's rows of `schema.scale_table` (ordered by scale_index)."""
    parameters = scales["num_parameters"].to_numpy(dtype=float)
    grows = np.all(np.diff(parameters) > 0) and parameters[-1] >= MIN_PARAMETER_GROWTH * parameters[0]
    if grows:
        return ScaleAxis("log_parameters", np.log(parameters))
    return ScaleAxis("scale_index", scales["scale_index"].to_numpy(dtype=float))



def series_over_scales(results: pd.DataFrame):
    """Each series (`SERIES_KEY`) of `results` measured at 2 or more of its family's scales.

    Yields (identity, series, scale_indices, axis): the series key as a dict,
    its rows, the scale_index of each scale it has (ascending) and the
    family's `scale_axis` restricted to those scales.
    """
    scales = scale_table(results)
    for key, series in results.groupby(SERIES_KEY, sort=False):
        identity = dict(zip(SERIES_KEY, key))
        family_scales = scales[(scales["population"] == identity["population"])
                               & (scales["family"] == identity["family"])]
        present = family_scales["scale_index"].isin(series["scale_index"]).to_numpy()
        if present.sum() < 2:
            continue
        axis = scale_axis(family_scales)
        yield identity, series, family_scales["scale_index"][present], ScaleAxis(axis.name, axis.values[present])

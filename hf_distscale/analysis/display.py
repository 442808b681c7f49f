"""How a number reads, wherever it is shown: summary.md, the plan and the leaderboard page.

One function per kind of number. `analyze` writes these strings into the page
data (`text` of each table row, `label` of each scale, `slope_text` and
`crossing_text` of each fit), and the page shows them as they are, so a
value reads the same on the page as in summary.md: Python rounds the binary
value (0.625 is stored exactly and reads 0.62, half to even), and nothing
rounds it again. An undefined value (NaN, None) reads "-".
"""

from __future__ import annotations

import math

MISSING = "-"


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fixed(value, digits: int = 2) -> str:
    """'0.62' (`digits` decimals); '-' for no value."""
    return MISSING if missing(value) else f"{value:.{digits}f}"


def p_value(value) -> str:
    """A p-value to 2 significant digits: '0.031', '4.2e-05'; '-' for no value."""
    return MISSING if missing(value) else f"{value:.2g}"


def count(value) -> str:
    """A whole number such as a seed count: '1,500'; '-' for no value."""
    return MISSING if missing(value) else f"{int(value):,}"


def parameters(number: float) -> str:
    """A parameter count to 3 significant digits with a suffix: '58.1k', '1.5M', '1.24B'."""
    for divisor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if number >= divisor:
            return f"{number / divisor:.3g}{suffix}"
    return f"{number:.3g}"


def _number(value, digits: str) -> str:
    """`value` formatted with `digits`, without the sign of a value that rounds to zero ('-0.00' -> '0.00')."""
    text = f"{value:{digits}}"
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text.split("e")[0]) else text


def with_interval(value, low, high, digits: str = ".2f", note: str = "") -> str:
    """'0.42 [0.30, 0.55]'; '0.56 (no interval)' where the interval is undefined, with `note` as the
    reason where one is given ('undefined: all succeed at every scale' alone when there is no value);
    '1.00 (no spread: the seeds score alike)' for a zero-width interval, which only data without
    variance produce; '-' for no value."""
    if missing(value):
        return note or MISSING
    if missing(low) and missing(high):
        return f"{_number(value, digits)} ({note or 'no interval'})"
    if low == high:
        return f"{_number(value, digits)} (no spread: the seeds score alike)"
    bound = ["beyond the range" if missing(b) else _number(b, digits) for b in (low, high)]
    return f"{_number(value, digits)} [{bound[0]}, {bound[1]}]"


def crossing(fit) -> str:
    """A fit's P(success) = 0.5 crossing as 'N=1.2e+06 [9e+05, 1.5e+06]' on the ln N axis, else as a scale
    index; outside the measured range as 'not reached in [low, high]: P(success) stays below 0.5'.

    `fit`: one row of the scaling fits (attributes x_variable, x_min, x_max, crossing_*)."""
    on_parameters = fit.x_variable == "log_parameters"
    if not fit.crossing_in_range:
        ends = [math.exp(v) if on_parameters else v for v in (fit.x_min, fit.x_max)]
        where = f"N in [{ends[0]:.3g}, {ends[1]:.3g}]" if on_parameters else f"scale index [{ends[0]:g}, {ends[1]:g}]"
        stays = f": P(success) stays {fit.crossing_direction} 0.5" if fit.crossing_direction else ""
        return f"not reached in {where}{stays}"
    if not on_parameters:
        return "scale index " + with_interval(fit.crossing_x, fit.crossing_x_ci_low, fit.crossing_x_ci_high)
    return "N=" + with_interval(fit.crossing_parameters, fit.crossing_parameters_ci_low,
                                fit.crossing_parameters_ci_high, ".3g")

"""R's print rules (``format``, ``formatC``, ``printCoefmat``, matrix printing)
and one renderer per result class.

Importing this package registers the renderers with :mod:`hlm_py.report`, so
``print(hlm.summary(fit))`` prints R's text.
"""

from __future__ import annotations

from hlm_py.printing import coefmat, matrixprint, reports, rformat
from hlm_py.printing.coefmat import FANCY_QUOTES, format_coefmat, signif_legend, signif_stars
from hlm_py.printing.matrixprint import (
    print_data_frame,
    print_matrix,
    print_named_strings,
    print_named_vector,
    print_row,
    print_series,
    print_string_matrix,
    print_vector,
)
from hlm_py.printing.reports import (
    anova_text,
    model_matrix_text,
    naprint,
    quantile7,
    r_list_tag,
    render_anova,
    render_confint,
    render_lm,
    render_lm_summary,
    render_model_matrix,
    residual_quantiles,
)
from hlm_py.printing.rformat import (
    abbreviate,
    cat_number,
    encode_real,
    format_c,
    format_info,
    format_integer,
    format_number,
    format_pval,
    format_real,
    format_strings,
    round_r,
    signif,
    zapsmall,
)

__all__ = [
    "coefmat", "matrixprint", "reports", "rformat",
    "FANCY_QUOTES", "format_coefmat", "signif_legend", "signif_stars",
    "print_data_frame", "print_matrix", "print_named_strings", "print_named_vector",
    "print_row", "print_series", "print_string_matrix", "print_vector",
    "anova_text", "naprint", "quantile7", "render_anova", "render_confint", "render_lm",
    "render_lm_summary", "residual_quantiles", "model_matrix_text", "render_model_matrix",
    "r_list_tag", "abbreviate",
    "cat_number", "encode_real", "format_c", "format_info", "format_integer", "format_number",
    "format_pval", "format_real", "format_strings", "round_r", "signif", "zapsmall",
]

REGISTERED = reports.register_all()

from hlm_py.printing import lme_reports  # noqa: E402 - registers the lme renderers

REGISTERED_LME = lme_reports.register_lme()

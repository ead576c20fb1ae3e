"""R's print rules (``formatC``, ``format.pval``, ``printCoefmat``, matrix
printing) and one renderer per result class; R's ``format()`` of numbers, which
other layers use too, is ``hlm_py.rbase.formatnum``.

Importing this package registers the renderers with :mod:`hlm_py.report`, so
``print(hlm.summary(fit))`` prints R's text.
"""

from __future__ import annotations

from hlm_py.printing import coefmat, gls_reports, lme_reports, matrixprint, reports, rformat
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
    format_c,
    format_pval,
    format_strings,
    round_r,
    signif,
    zapsmall,
)

__all__ = [
    "coefmat", "gls_reports", "lme_reports", "matrixprint", "reports", "rformat",
    "FANCY_QUOTES", "format_coefmat", "signif_legend", "signif_stars",
    "print_data_frame", "print_matrix", "print_named_strings", "print_named_vector",
    "print_row", "print_series", "print_string_matrix", "print_vector",
    "anova_text", "naprint", "render_anova", "render_confint", "render_lm",
    "render_lm_summary", "residual_quantiles", "model_matrix_text", "render_model_matrix",
    "r_list_tag", "abbreviate",
    "cat_number", "format_c", "format_pval", "format_strings", "round_r", "signif", "zapsmall",
]

REGISTERED = reports.register_all()
REGISTERED_LME = lme_reports.register_lme()
REGISTERED_GLS = gls_reports.register_gls()

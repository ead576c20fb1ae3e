"""nlme's gls: the design, the criterion, the fit (``hlm.gls``)."""

# The R side of the gls goldens: what nlme::gls reports for one case.
#
# hlm_extract_gls(fit, case) is called after the case's R code
# (r_reference/cases/structs.py: r_code) bound `fit`, its tight refits
# `fit_tight_<name>` and `fit_tight`, and the compared fits `fit2`, ...
# The numbers are structs.R's (hlm_gls_numbers).

suppressPackageStartupMessages(library(nlme))

hlm_extract_gls <- function(fit, case, env = parent.frame()) {
  results <- list()
  refit <- hlm_lme_try(eval(getCall(fit), envir = env))
  results$fit_warnings <- refit$warnings
  dn <- hlm_gls_numbers(fit, case)
  printed <- c(hlm_gls_printed(fit), attr(dn, "printed"))
  results$default <- hlm_struct_strip(dn)
  hlm_struct_extract_common(fit, case, env, results, printed)
}

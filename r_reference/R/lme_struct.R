# The R side of the lme_struct goldens: nlme::lme fits with variance
# functions and/or correlation structures. Everything lme.R records plus the
# structures (structs.R: hlm_lme_struct_numbers); the tight refit and the
# comparison fits are structs.R's too.

suppressPackageStartupMessages(library(nlme))

hlm_extract_lme_struct <- function(fit, case, env = parent.frame()) {
  results <- list()
  refit <- hlm_lme_try(eval(getCall(fit), envir = env))
  results$fit_warnings <- refit$warnings
  dn <- hlm_lme_struct_numbers(fit, case, keep_obs = fit$dims$N <= hlm_lme_max_default_obs)
  printed <- c(hlm_lme_printed(fit), attr(dn, "printed"))
  results$default <- hlm_struct_strip(dn)
  hlm_struct_extract_common(fit, case, env, results, printed)
}

# The R side of the lme_struct goldens: nlme::lme fits with variance
# functions and/or correlation structures. Everything lme.R records
# (hlm_lme_numbers) plus the model structures' coefficients, their
# intervals, getVarCov of the three types, ACF and Variogram; the tight refit
# and the comparison fits are gls.R's (r_reference/cases/lme_struct.py lists
# lme and gls in R_DEPENDS).

suppressPackageStartupMessages(library(nlme))

hlm_lme_struct_numbers <- function(fit, case, keep_obs = TRUE) {
  out <- hlm_lme_numbers(fit, case, keep_obs = keep_obs)
  out$dims <- list(N = fit$dims$N, p = fit$dims$ncol[[fit$dims$Q + 1]],
                   REML = as.integer(fit$method == "REML"))
  out <- c(out, hlm_struct_coefs(fit$modelStruct))
  if (keep_obs) {
    out$resid_std <- as.vector(attr(fit$residuals, "std"))
  }
  iv <- hlm_lme_try(intervals(fit))
  if (is.null(iv$error)) {
    out$intervals_struct <- hlm_struct_interval_tables(iv$value)
  }
  prn <- list()
  for (ty in c("random.effects", "conditional", "marginal")) {
    key <- paste0("getVarCov_", sub("random.effects", "random_effects", ty))
    g <- hlm_lme_try(getVarCov(fit, type = ty))
    if (is.null(g$error)) {
      v <- g$value
      if (is.list(v) && !is.matrix(v)) {
        out[[key]] <- lapply(v, hlm_struct_matrix)
        out[[paste0(key, "_individuals")]] <- names(v)
      } else {
        out[[key]] <- hlm_struct_matrix(v)
      }
      prn[[key]] <- hlm_lme_print(v)
    } else {
      out[[paste0(key, "_error")]] <- g$error
      prn[[key]] <- paste("Error:", g$error)
    }
  }
  av <- hlm_struct_acf_vario(fit, case)
  out <- c(out, av$results)
  attr(out, "printed") <- c(prn, av$printed)
  out
}

hlm_extract_lme_struct <- function(fit, case, env = parent.frame()) {
  results <- list()
  refit <- hlm_lme_try(eval(getCall(fit), envir = env))
  results$fit_warnings <- refit$warnings
  dn <- hlm_lme_struct_numbers(fit, case, keep_obs = fit$dims$N <= hlm_lme_max_default_obs)
  printed <- c(hlm_lme_printed(fit), attr(dn, "printed"))
  results$default <- hlm_struct_strip(dn)
  hlm_struct_extract_common(fit, case, env, results, printed)
}

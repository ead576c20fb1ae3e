# The R side of the lme goldens: what nlme::lme reports for one case.
#
# hlm_extract_lme(fit, case) is called by r_reference's runner after the
# case's R code (r_reference/cases/lme.py: r_code) has been evaluated. That
# code binds R's default fit to `fit`, the tightly converged refit to
# `fit_tight` and, for comparison cases, the other fits to `fit2`, `fit3`, ...
# The key list is documented in docs/internals.md, "lme golden keys".

suppressPackageStartupMessages(library(nlme))

# The control of the tight refit (nlminb ignores msTol; the iteration and
# evaluation limits and the longer EM start are what make it tighter).
hlm_lme_tight_control <- "lmeControl(msTol = 1e-14, tolerance = 1e-12, msMaxIter = 1000, msMaxEval = 10000, maxIter = 1000, niterEM = 100)"

# Evaluate expr, returning list(value, warnings, error) instead of failing.
hlm_lme_try <- function(expr) {
  warns <- character()
  value <- withCallingHandlers(
    tryCatch(expr, error = function(e) structure(conditionMessage(e), class = "hlm_error")),
    warning = function(w) {
      warns <<- c(warns, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  if (inherits(value, "hlm_error")) {
    return(list(value = NULL, warnings = warns, error = unclass(value)))
  }
  list(value = value, warnings = warns, error = NULL)
}

# R's default fit keeps its per-observation vectors (fitted, resid) only up
# to this many observations (all current cases); the tight fit always keeps them.
hlm_lme_max_default_obs <- 20000

hlm_lme_print <- function(x, ...) paste(capture.output(print(x, ...)), collapse = "\n")

# A plain data frame from nlme's anova/data-frame-like objects, or from a
# matrix with column names (fitted/resid at several levels return a matrix
# whose columns are "fixed" and the level names: its columns become the data
# frame's columns, its row names the row names). Anything else is an error:
# a silently empty table is never written.
hlm_lme_plain_df <- function(x) {
  if (is.matrix(x)) {
    if (is.null(colnames(x))) stop("hlm_lme_plain_df: a matrix without column names")
    rn <- rownames(x)
    if (is.null(rn)) rn <- as.character(seq_len(nrow(x)))
    cols <- lapply(seq_len(ncol(x)), function(j) as.vector(x[, j]))
    return(structure(cols, names = colnames(x), row.names = rn, class = "data.frame"))
  }
  if (!is.list(x)) stop("hlm_lme_plain_df: not a data frame or matrix (class ",
                        paste(class(x), collapse = "/"), ")")
  rn <- row.names(x)
  nm <- names(x)
  if (length(x) > 0 && is.null(nm)) stop("hlm_lme_plain_df: a list without names")
  cols <- lapply(unclass(x)[nm], function(col) {
    if (is.factor(col)) as.character(col) else as.vector(col)
  })
  structure(cols, names = nm, row.names = rn, class = "data.frame")
}

# Grouping levels of a fit, outer to inner (R's names(fit$groups)).
hlm_lme_levels <- function(fit) names(fit$groups)

# The numbers of one fit, as a nested named list.
hlm_lme_numbers <- function(fit, case, keep_obs = TRUE) {
  levs <- hlm_lme_levels(fit)
  Q <- fit$dims$Q
  out <- list()
  out$method <- fit$method
  out$fixef <- fixef(fit)
  out$vcov <- fit$varFix
  out$sigma <- fit$sigma
  ll <- logLik(fit)
  out$logLik <- as.numeric(ll)
  out$logLik_df <- attr(ll, "df")
  out$AIC <- AIC(fit)
  out$BIC <- BIC(fit)
  out$nobs <- fit$dims$N
  # groups per level, outer to inner (dims$ngrps is inner first)
  out$ngroups <- fit$dims$ngrps[rev(seq_len(Q))]
  if (!is.null(fit$numIter)) out$numIter <- fit$numIter

  # variance components per level, numbers (VarCorr.lme returns text)
  rs <- fit$modelStruct$reStruct
  vc <- list()
  for (lv in levs) {
    rel <- as.matrix(rs[[lv]])
    cov <- rel * fit$sigma^2
    sds <- sqrt(diag(cov))
    names(sds) <- rownames(cov)
    corr <- cov2cor(cov)
    vc[[lv]] <- list(pdClass = class(rs[[lv]])[1], cov = cov, variance = diag(cov),
                     sd = sds, corr = corr)
  }
  out$varcorr <- vc
  out$varcorr_residual <- c(variance = fit$sigma^2, sd = fit$sigma)
  vcm <- unclass(VarCorr(fit))
  out$VarCorr_text <- vcm
  out$pd_unconstrained <- coef(fit$modelStruct, unconstrained = TRUE)
  out$pd_constrained <- coef(fit$modelStruct, unconstrained = FALSE)

  s <- summary(fit)
  out$tTable <- s$tTable
  out$corFixed <- s$corFixed
  out$resid_quantiles <- s$residuals
  out$fixDF_X <- fit$fixDF$X
  out$fixDF_terms <- fit$fixDF$terms

  # random effects and coefficients per level, outer to inner
  re <- ranef(fit)
  if (Q == 1) re <- structure(list(re), names = levs)
  out$ranef <- lapply(re, function(d) hlm_lme_plain_df(d))
  out$coef <- list()
  for (q in seq_len(Q)) {
    out$coef[[levs[q]]] <- hlm_lme_plain_df(coef(fit, level = q))
  }

  # fitted values and residuals at every level 0:Q (omitted for R's default
  # fit of large data, to keep goldens small: the tight fit has them)
  if (!keep_obs) {
    out$obs_omitted <- TRUE
  } else {
  out$fitted <- hlm_lme_plain_df(fitted(fit, level = 0:Q))
  out$resid <- list()
  for (ty in c("response", "pearson", "normalized")) {
    out$resid[[ty]] <- hlm_lme_plain_df(resid(fit, level = 0:Q, type = ty))
  }
  }

  nd <- hlm_lme_newdata(case)
  if (!is.null(nd)) {
    p <- hlm_lme_try(predict(fit, newdata = nd, level = 0:Q))
    if (is.null(p$error)) out$predict <- hlm_lme_plain_df(p$value)
    else out$predict_error <- p$error
    if (length(p$warnings)) out$predict_warnings <- p$warnings
  }

  out$anova <- hlm_lme_plain_df(anova(fit))
  out$anova_marginal <- hlm_lme_plain_df(anova(fit, type = "marginal"))

  iv <- hlm_lme_try(intervals(fit))
  if (is.null(iv$error)) {
    out$intervals <- list(fixed = unclass(iv$value$fixed)[, , drop = FALSE],
                          reStruct = lapply(iv$value$reStruct, hlm_lme_plain_df),
                          sigma = unclass(iv$value$sigma)[c("lower", "est.", "upper")])
    attr(out$intervals$fixed, "label") <- NULL
  } else {
    out$intervals_error <- iv$error
  }
  if (length(iv$warnings)) out$intervals_warnings <- iv$warnings

  if (is.matrix(fit$apVar)) {
    av <- fit$apVar
    out$apVar <- matrix(av, nrow(av), dimnames = dimnames(av))
    out$apVar_Pars <- attr(av, "Pars")
  } else {
    out$apVar_error <- as.character(fit$apVar)
  }
  out
}

# The case's new data as an R data frame (character columns stay character).
hlm_lme_newdata <- function(case) {
  nd <- case[["newdata"]]
  if (is.null(nd) || length(nd) == 0) return(NULL)
  cols <- lapply(nd, function(v) unlist(lapply(v, function(e) if (is.null(e)) NA else e)))
  as.data.frame(cols, stringsAsFactors = FALSE, check.names = FALSE)
}

# Max absolute and relative difference between the numbers of two fits,
# per quantity (a quantity's leaves flattened to one numeric vector).
hlm_lme_leaves <- function(x) {
  if (is.data.frame(x)) x <- Filter(is.numeric, as.list(x))
  if (is.list(x)) return(unlist(lapply(x, hlm_lme_leaves), use.names = FALSE))
  if (is.numeric(x)) return(as.numeric(x))
  numeric()
}

hlm_lme_distance <- function(a, b) {
  keys <- intersect(names(a), names(b))
  rows <- list()
  for (k in keys) {
    x <- hlm_lme_leaves(a[[k]])
    y <- hlm_lme_leaves(b[[k]])
    if (length(x) == 0 || length(x) != length(y)) next
    ok <- is.finite(x) & is.finite(y)
    if (!any(ok)) next
    d <- abs(x[ok] - y[ok])
    rel <- d / pmax(abs(y[ok]), .Machine$double.xmin)
    rel[d == 0] <- 0
    scale <- max(abs(y[ok]))
    rows[[k]] <- c(max_abs_diff = max(d), max_rel_diff = max(rel),
                   max_scaled_diff = if (scale > 0) max(d) / scale else max(d))
  }
  m <- do.call(rbind, rows)
  data.frame(max_abs_diff = m[, 1], max_rel_diff = m[, 2], max_scaled_diff = m[, 3],
             row.names = rownames(m))
}

# Find an object the case's R code bound (fit_tight, fit2, ...).
hlm_lme_find <- function(name, env) {
  for (e in list(env, globalenv())) {
    v <- get0(name, envir = e, inherits = TRUE)
    if (!is.null(v)) return(v)
  }
  NULL
}

# The best fit R reaches for the fit bound to `name`: of the default fit and
# the tight refits the case's R code bound (`<name>_tight_nlminb`, ...; see
# r_reference/cases/lme.py, tight_lines), the one of highest logLik, which the
# R code bound to `<name>_tight`. Returns list(fit, optimizer (the winner's
# name), control (its control text), candidates (data frame: logLik and error
# of each, default first), warnings (the winner's, re-evaluated), error).
hlm_lme_tight <- function(fit, name, env) {
  cand_names <- c("default", "nlminb", "optim", "optim_ndeps")
  cands <- list(default = fit)
  for (n in cand_names[-1]) cands[[n]] <- hlm_lme_find(paste0(name, "_tight_", n), env)
  ll <- vapply(cands, function(f) if (inherits(f, "lme")) as.numeric(logLik(f)) else NA_real_,
               numeric(1))
  err <- vapply(cands, function(f) {
    if (inherits(f, "lme")) NA_character_
    else if (is.null(f)) "not run" else sub("\n$", "", as.character(f))
  }, character(1))
  candidates <- data.frame(logLik = unname(ll), error = unname(err), row.names = names(cands))
  best <- hlm_lme_find(paste0(name, "_tight"), env)
  if (is.null(best)) {
    # R code without the tight refits (not this catalogue's): the old nlminb refit
    tr <- hlm_lme_try(eval(parse(text = paste0("update(fit, control = ",
                                               hlm_lme_tight_control, ")"))))
    return(list(fit = tr$value, optimizer = "nlminb", control = hlm_lme_tight_control,
                candidates = candidates, warnings = tr$warnings, error = tr$error))
  }
  win <- names(cands)[which(vapply(cands, function(f) identical(f, best), logical(1)))[1]]
  if (!identical(as.numeric(logLik(best)), max(ll, na.rm = TRUE)))
    stop("hlm_lme_tight: ", name, "_tight is not the candidate of highest logLik")
  ctl <- getCall(best)$control
  control <- if (is.null(ctl)) "default" else paste(deparse(ctl, width.cutoff = 500L), collapse = " ")
  tr <- hlm_lme_try(eval(getCall(best), envir = env))
  list(fit = best, optimizer = win, control = control, candidates = candidates,
       warnings = tr$warnings, error = NULL)
}

# Printed texts of one fit, as R prints them.
hlm_lme_printed <- function(fit) {
  p <- list()
  p$print <- hlm_lme_print(fit)
  p$summary <- hlm_lme_print(summary(fit))
  p$VarCorr <- hlm_lme_print(VarCorr(fit))
  p$anova <- hlm_lme_print(anova(fit))
  p$anova_marginal <- hlm_lme_print(anova(fit, type = "marginal"))
  # intervals(fit) is which = "all"; when it fails, the error as R prints it
  iv <- try(intervals(fit), silent = TRUE)
  p$intervals <- if (inherits(iv, "try-error")) sub("\n$", "", as.character(iv)) else
    hlm_lme_print(iv)
  p$fixef <- hlm_lme_print(fixef(fit))
  p$ranef <- hlm_lme_print(ranef(fit))
  p$coef <- hlm_lme_print(coef(fit))
  p
}

hlm_extract_lme <- function(fit, case, env = parent.frame()) {
  results <- list()
  printed <- list()

  # the default fit, re-evaluated to record its warnings
  refit <- hlm_lme_try(eval(getCall(fit), envir = env))
  results$fit_warnings <- refit$warnings

  results$default <- hlm_lme_numbers(fit, case,
                                     keep_obs = fit$dims$N <= hlm_lme_max_default_obs)
  printed <- hlm_lme_printed(fit)

  tight <- hlm_lme_tight(fit, "fit", env)
  results$tight_control <- tight$control
  results$tight_optimizer <- tight$optimizer
  results$tight_candidates <- tight$candidates
  results$tight_warnings <- tight$warnings
  if (!is.null(tight$error)) results$tight_error <- tight$error
  if (!is.null(tight$fit)) {
    results$tight <- hlm_lme_numbers(tight$fit, case)
    results$tight_distance <- hlm_lme_distance(hlm_lme_numbers(fit, case), results$tight)
  }

  # comparison fits: fit2, fit3, ... and anova(fit, fit2, ...)
  others <- list()
  k <- 2
  while (!is.null(o <- hlm_lme_find(paste0("fit", k), env))) {
    if (!inherits(o, "lme")) break
    others[[paste0("fit", k)]] <- o
    k <- k + 1
  }
  if (length(others)) {
    results$compare <- list()
    results$compare_tight <- list()
    tights <- list(fit = if (is.null(tight$fit)) fit else tight$fit)
    # every number of each compared fit as for `fit` (the keys of `default`,
    # without the per-observation fitted/resid): what re-rendering
    # summary(fit2), ... with R's numbers needs
    results$compare_default <- list()
    for (nm in names(others)) {
      # the numbers compared are those of the best R fit (as for `fit`)
      ot <- hlm_lme_tight(others[[nm]], nm, env)
      results$compare_tight[[nm]] <- list(optimizer = ot$optimizer, control = ot$control,
                                          candidates = ot$candidates)
      o <- if (is.null(ot$fit)) others[[nm]] else ot$fit
      tights[[nm]] <- o
      ll <- logLik(o)
      results$compare[[nm]] <- list(method = o$method, fixef = fixef(o), sigma = o$sigma,
                                    logLik = as.numeric(ll), logLik_df = attr(ll, "df"),
                                    AIC = AIC(o), BIC = BIC(o),
                                    pd_unconstrained = coef(o$modelStruct, unconstrained = TRUE))
      results$compare_default[[nm]] <- hlm_lme_numbers(others[[nm]], case, keep_obs = FALSE)
      printed[[paste0("summary_", nm)]] <- hlm_lme_print(summary(others[[nm]]))
    }
    cmp_code <- paste0("anova(fit, ", paste(names(others), collapse = ", "), ")")
    a <- hlm_lme_try(eval(parse(text = cmp_code), envir = env))
    results$anova_compare_call <- cmp_code
    results$anova_compare_warnings <- a$warnings
    if (is.null(a$error)) {
      tab <- hlm_lme_plain_df(a$value)
      tab$call <- NULL
      # the numbers compared: the same anova of the best fits, rows named as R's
      at <- hlm_lme_try(do.call(anova, unname(tights)))
      if (!is.null(at$error)) stop("anova of the tight fits failed: ", at$error)
      tab_t <- hlm_lme_plain_df(at$value)
      tab_t$call <- NULL
      attr(tab_t, "row.names") <- row.names(tab)
      results$anova_compare <- tab_t
      results$anova_compare_default <- tab
      printed$anova_compare <- hlm_lme_print(a$value)
    } else {
      results$anova_compare_error <- a$error
    }
  }
  list(results = results, printed = printed)
}

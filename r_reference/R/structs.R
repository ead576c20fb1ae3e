# What gls.R and lme_struct.R share (not a case kind): the numbers of a gls
# fit and of an lme fit with structures, the model structures' coefficients,
# ACF / Variogram / getVarCov, the tight refit and the comparison fits of
# either kind. Uses lme.R's helpers (hlm_lme_try, hlm_lme_plain_df, ...):
# r_reference/cases/gls.py and lme_struct.py list "lme" and "structs" in
# R_DEPENDS, so the runner sources lme.R, then this file.

suppressPackageStartupMessages(library(nlme))

# candidates of the tight refit per fit class, default first (the names of
# structs.py's GLS_TIGHT_CONTROLS and lme.py's TIGHT_CONTROLS)
hlm_struct_candidates <- list(
  gls = c("default", "nlminb", "optim", "optim_nm"),
  lme = c("default", "nlminb", "optim", "optim_ndeps"))

hlm_struct_class <- function(fit) if (inherits(fit, "lme")) "lme" else "gls"

# The best fit R reaches for the fit bound to `name` (see lme.R's
# hlm_lme_tight; here for either class).
hlm_struct_tight <- function(fit, name, env) {
  cls <- hlm_struct_class(fit)
  cand_names <- hlm_struct_candidates[[cls]]
  cands <- list(default = fit)
  for (n in cand_names[-1]) cands[[n]] <- hlm_lme_find(paste0(name, "_tight_", n), env)
  ok <- function(f) inherits(f, cls)
  ll <- vapply(cands, function(f) if (ok(f)) as.numeric(logLik(f)) else NA_real_, numeric(1))
  err <- vapply(cands, function(f) {
    if (ok(f)) NA_character_
    else if (is.null(f)) "not run"
    else if (!is.null(attr(f, "condition"))) conditionMessage(attr(f, "condition"))
    else sub("\n$", "", as.character(f))
  }, character(1))
  candidates <- data.frame(logLik = unname(ll), error = unname(err), row.names = names(cands))
  best <- hlm_lme_find(paste0(name, "_tight"), env)
  if (is.null(best)) stop("hlm_struct_tight: no ", name, "_tight")
  win <- names(cands)[which(vapply(cands, function(f) identical(f, best), logical(1)))[1]]
  if (!identical(as.numeric(logLik(best)), max(ll, na.rm = TRUE)))
    stop("hlm_struct_tight: ", name, "_tight is not the candidate of highest logLik")
  ctl <- getCall(best)$control
  control <- if (is.null(ctl)) "default" else paste(deparse(ctl, width.cutoff = 500L), collapse = " ")
  tr <- if (identical(win, "default")) list(warnings = character()) else
    hlm_lme_try(eval(getCall(best), envir = env))
  list(fit = best, optimizer = win, control = control, candidates = candidates,
       warnings = tr$warnings, error = NULL)
}

hlm_struct_deparse <- function(f) paste(deparse(f, width.cutoff = 500L), collapse = " ")

# The coefficients of the fit's model structures (corStruct, varStruct), in
# both parametrisations.
hlm_struct_coefs <- function(ms) {
  out <- list(modelStruct_unconstrained = coef(ms, unconstrained = TRUE))
  cs <- ms$corStruct
  if (!is.null(cs)) {
    out$corStruct <- list(
      class = class(cs)[1],
      formula = hlm_struct_deparse(formula(cs)),
      unconstrained = coef(cs, unconstrained = TRUE),
      constrained = coef(cs, unconstrained = FALSE),
      fixed = isTRUE(attr(cs, "fixed")))
  }
  vs <- ms$varStruct
  if (!is.null(vs)) {
    v <- list(class = class(vs)[1],
              unconstrained = coef(vs, unconstrained = TRUE),
              constrained = coef(vs, unconstrained = FALSE),
              all = coef(vs, unconstrained = FALSE, allCoef = TRUE))
    if (inherits(vs, "varComb")) {
      v$parts <- lapply(unclass(vs), function(p)
        list(class = class(p)[1], formula = hlm_struct_deparse(formula(p)),
             unconstrained = coef(p, unconstrained = TRUE),
             all = coef(p, unconstrained = FALSE, allCoef = TRUE)))
      names(v$parts) <- NULL
    } else {
      v$formula <- hlm_struct_deparse(formula(vs))
      # a covariate of the fitted values: the one the fit's weights are of (the
      # fitted values of nlme's last outer iteration but one), in nlme's order
      if (isTRUE(attr(vs, "needUpdate")) && !is.null(attr(vs, "covariate")))
        v$covariate <- as.vector(attr(vs, "covariate"))
    }
    out$varStruct <- v
  }
  out
}

# a list of arguments from the case (NULL elements dropped)
hlm_struct_args <- function(a) {
  if (is.null(a)) return(list())
  a <- as.list(a)
  lapply(a, function(v) {
    if (is.character(v) && length(v) == 1 && grepl("^\\s*~", v)) return(eval(parse(text = v)[[1]]))
    # a dict of the spec (a named list of scalars): R's named vector
    if (is.list(v) && all(vapply(v, function(e) is.atomic(e) && length(e) == 1, NA))) v <- unlist(v)
    # JSON integers arrive as R integers: numbers, as the script types them
    if (is.integer(v) && !is.factor(v)) storage.mode(v) <- "double"
    v
  })
}

# R code text of an argument list (for the printed calls' keys)
hlm_struct_args_text <- function(a) {
  if (!length(a)) return("")
  paste0(", ", paste(names(a), vapply(a, function(v) hlm_struct_deparse(v), ""),
                     sep = " = ", collapse = ", "))
}

# ACF(fit, ...) and Variogram(fit, ...) of the default arguments and the
# case's extra$acf / extra$variogram lists: list(numbers, printed, calls)
hlm_struct_acf_vario <- function(fit, case) {
  res <- list(); prn <- list()
  acfs <- c(list(list()), lapply(case$extra$acf, hlm_struct_args))
  res$ACF <- list(); prn$ACF <- list()
  for (i in seq_along(acfs)) {
    call <- paste0("ACF(fit", hlm_struct_args_text(acfs[[i]]), ")")
    a <- hlm_lme_try(do.call(ACF, c(list(fit), acfs[[i]])))
    r <- list(call = call)
    if (is.null(a$error)) {
      r$table <- hlm_lme_plain_df(a$value)
      r$n.used <- attr(a$value, "n.used")
      prn$ACF[[call]] <- hlm_lme_print(a$value)
    } else {
      r$error <- a$error
    }
    if (length(a$warnings)) r$warnings <- a$warnings
    res$ACF[[i]] <- r
  }
  vs <- lapply(case$extra$variogram, hlm_struct_args)
  if (length(vs)) {
    res$Variogram <- list(); prn$Variogram <- list()
    for (i in seq_along(vs)) {
      call <- paste0("Variogram(fit", hlm_struct_args_text(vs[[i]]), ")")
      a <- hlm_lme_try(do.call(Variogram, c(list(fit), vs[[i]])))
      r <- list(call = call)
      if (is.null(a$error)) {
        r$table <- hlm_lme_plain_df(a$value)
        r$collapse <- attr(a$value, "collapse")
        prn$Variogram[[call]] <- hlm_lme_print(a$value)
      } else {
        r$error <- a$error
      }
      if (length(a$warnings)) r$warnings <- a$warnings
      res$Variogram[[i]] <- r
    }
  }
  list(results = res, printed = prn)
}

# intervals(fit) tables of the model structures (NULL when absent)
hlm_struct_interval_tables <- function(iv) {
  out <- list()
  for (k in c("corStruct", "varStruct")) {
    x <- iv[[k]]
    if (!is.null(x)) {
      m <- unclass(x)
      attr(m, "label") <- NULL
      out[[k]] <- matrix(m, nrow(m), dimnames = dimnames(m))
    }
  }
  out
}

# getVarCov of a gls fit: the first group and a second one (by name)
hlm_gls_varcov <- function(fit) {
  res <- list(); prn <- list()
  g1 <- hlm_lme_try(getVarCov(fit))
  if (is.null(g1$error)) {
    res$getVarCov <- matrix(unclass(g1$value), nrow(g1$value), dimnames = dimnames(g1$value))
    prn$getVarCov <- hlm_lme_print(g1$value)
    cs <- fit$modelStruct$corStruct
    lev <- names(corMatrix(cs))
    res$getVarCov_individual_1 <- lev[1]
    if (length(lev) >= 2) {
      res$getVarCov_individual <- lev[2]
      g2 <- hlm_lme_try(getVarCov(fit, individual = lev[2]))
      if (is.null(g2$error)) {
        res$getVarCov_2 <- matrix(unclass(g2$value), nrow(g2$value), dimnames = dimnames(g2$value))
        prn$getVarCov_2 <- hlm_lme_print(g2$value)
      } else {
        res$getVarCov_2_error <- g2$error
      }
    }
  } else {
    res$getVarCov_error <- g1$error
    prn$getVarCov <- paste("Error:", g1$error)
  }
  list(results = res, printed = prn)
}

hlm_struct_matrix <- function(m) matrix(unclass(m), nrow(m), dimnames = dimnames(m))

# The numbers of one gls fit, as a nested named list (and its printed texts
# of the per-fit extras: ACF, Variogram, getVarCov).
hlm_gls_numbers <- function(fit, case, keep_obs = TRUE) {
  out <- list()
  out$method <- fit$method
  out$coef <- coef(fit)
  out$varBeta <- hlm_struct_matrix(vcov(fit))
  out$sigma <- fit$sigma
  ll <- logLik(fit)
  out$logLik <- as.numeric(ll)
  out$logLik_df <- attr(ll, "df")
  out$AIC <- AIC(fit)
  out$BIC <- BIC(fit)
  out$dims <- list(N = fit$dims$N, p = fit$dims$p, REML = fit$dims$REML)
  out$numIter <- fit$numIter
  out <- c(out, hlm_struct_coefs(fit$modelStruct))
  s <- summary(fit)
  out$tTable <- s$tTable
  out$corBeta <- hlm_struct_matrix(s$corBeta)
  out$anova <- hlm_lme_plain_df(anova(fit))
  out$anova_marginal <- hlm_lme_plain_df(anova(fit, type = "marginal"))
  if (keep_obs) {
    out$fitted <- fitted(fit)
    out$resid <- list()
    for (ty in c("response", "pearson", "normalized"))
      out$resid[[ty]] <- as.vector(resid(fit, type = ty))
    out$resid_names <- names(resid(fit))
    out$resid_std <- as.vector(attr(fit$residuals, "std"))
    out$predict <- predict(fit)
  } else {
    out$obs_omitted <- TRUE
  }
  nd <- hlm_lme_newdata(case)
  if (!is.null(nd)) {
    p <- hlm_lme_try(predict(fit, newdata = nd))
    if (is.null(p$error)) out$predict_newdata <- p$value else out$predict_newdata_error <- p$error
    if (length(p$warnings)) out$predict_newdata_warnings <- p$warnings
  }
  if (is.matrix(fit$apVar)) {
    av <- fit$apVar
    out$apVar <- matrix(av, nrow(av), dimnames = dimnames(av))
    out$apVar_Pars <- attr(av, "Pars")
  } else if (is.null(fit$apVar)) {
    out$apVar_null <- TRUE  # no structure parameters: gls keeps no apVar
  } else {
    out$apVar_error <- as.character(fit$apVar)
  }
  iv <- hlm_lme_try(intervals(fit))
  if (is.null(iv$error)) {
    out$intervals <- c(list(coef = hlm_struct_matrix(iv$value$coef)),
                       hlm_struct_interval_tables(iv$value),
                       list(sigma = unclass(iv$value$sigma)[c("lower", "est.", "upper")]))
  } else {
    out$intervals_error <- iv$error
  }
  if (length(iv$warnings)) out$intervals_warnings <- iv$warnings
  vc <- hlm_gls_varcov(fit)
  out <- c(out, vc$results)
  av <- hlm_struct_acf_vario(fit, case)
  out <- c(out, av$results)
  attr(out, "printed") <- c(vc$printed, av$printed)
  out
}

hlm_struct_numbers <- function(fit, case, keep_obs = TRUE) {
  if (inherits(fit, "lme")) hlm_lme_struct_numbers(fit, case, keep_obs)
  else hlm_gls_numbers(fit, case, keep_obs)
}

hlm_struct_strip <- function(x) { attr(x, "printed") <- NULL; x }

# Printed texts of one gls fit, as R prints them.
hlm_gls_printed <- function(fit) {
  p <- list()
  p$print <- hlm_lme_print(fit)
  p$summary <- hlm_lme_print(summary(fit))
  p$anova <- hlm_lme_print(anova(fit))
  p$anova_marginal <- hlm_lme_print(anova(fit, type = "marginal"))
  iv <- try(intervals(fit), silent = TRUE)
  p$intervals <- if (inherits(iv, "try-error")) sub("\n$", "", as.character(iv)) else
    hlm_lme_print(iv)
  p
}

# The case's anova(fit, fit2, ...) and anova(fit, L = / Terms = ) results;
# the compared fits' numbers. Shared by hlm_extract_gls and
# hlm_extract_lme_struct.
# intervals(fit) with apVar's numerical Hessian on larger steps
# (.relStep = 1e-4, minAbsParApVar = 1): the fit refitted with its own control
# plus these two settings (the same optimiser path, so the same estimates),
# or NULL where that fails. nlme's default steps (eps^(1/3) relative) leave
# its Hessian noisy; these intervals are R's own formula at an accurate one.
hlm_struct_accurate_intervals <- function(fit, env) {
  ctl <- getCall(fit)$control
  ctl <- if (is.null(ctl)) list() else eval(ctl, envir = env)
  ctl$.relStep <- 1e-4
  ctl$minAbsParApVar <- 1
  refit <- hlm_lme_try(update(fit, control = ctl, evaluate = TRUE))
  if (!is.null(refit$error)) return(NULL)
  f <- refit$value
  if (!isTRUE(all.equal(as.numeric(logLik(f)), as.numeric(logLik(fit)), tolerance = 1e-12)))
    return(NULL)
  iv <- hlm_lme_try(intervals(f))
  if (!is.null(iv$error)) return(NULL)
  v <- iv$value
  out <- hlm_struct_interval_tables(v)
  if (inherits(fit, "gls")) {
    out$coef <- hlm_struct_matrix(v$coef)
  } else {
    out$fixed <- hlm_struct_matrix(v$fixed)
    out$reStruct <- lapply(v$reStruct, function(t) hlm_lme_plain_df(t))
  }
  out$sigma <- unclass(v$sigma)[c("lower", "est.", "upper")]
  out
}

hlm_struct_extract_common <- function(fit, case, env, results, printed) {
  tight <- hlm_struct_tight(fit, "fit", env)
  results$tight_control <- tight$control
  results$tight_optimizer <- tight$optimizer
  results$tight_candidates <- tight$candidates
  results$tight_warnings <- tight$warnings
  tn <- hlm_struct_numbers(tight$fit, case)
  results$tight <- hlm_struct_strip(tn)
  acc <- hlm_struct_accurate_intervals(tight$fit, env)
  if (!is.null(acc)) results$tight$intervals_accurate <- acc
  results$tight_distance <- hlm_lme_distance(hlm_struct_strip(hlm_struct_numbers(fit, case)),
                                             results$tight)
  results$tight_logLik_gain <- as.numeric(logLik(tight$fit)) - as.numeric(logLik(fit))

  cmp <- case$extra$compare
  fname <- if (is.null(case$extra$fit_name)) "fit" else case$extra$fit_name
  rnames <- fname
  tights <- list(tight$fit)
  if (length(cmp)) {
    results$compare <- list(); results$compare_tight <- list(); results$compare_default <- list()
    for (k in seq_along(cmp)) {
      nm <- paste0("fit", k + 1)
      o <- hlm_lme_find(nm, env)
      if (is.null(o) || !(inherits(o, "gls") || inherits(o, "lme")))
        stop("hlm_struct_extract_common: no compared fit ", nm)
      rn <- if (is.null(cmp[[k]]$name)) nm else cmp[[k]]$name
      rnames <- c(rnames, rn)
      ot <- hlm_struct_tight(o, nm, env)
      results$compare_tight[[nm]] <- list(optimizer = ot$optimizer, control = ot$control,
                                          candidates = ot$candidates,
                                          logLik_gain = as.numeric(logLik(ot$fit)) -
                                            as.numeric(logLik(o)))
      b <- ot$fit
      tights[[k + 1]] <- b
      ll <- logLik(b)
      results$compare[[nm]] <- list(kind = hlm_struct_class(b), name = rn, method = b$method,
                                    coef = if (inherits(b, "lme")) fixef(b) else coef(b),
                                    sigma = b$sigma, logLik = as.numeric(ll),
                                    logLik_df = attr(ll, "df"), AIC = AIC(b), BIC = BIC(b),
                                    modelStruct_unconstrained = coef(b$modelStruct))
      results$compare_default[[nm]] <- hlm_struct_strip(hlm_struct_numbers(o, case, keep_obs = FALSE))
      printed[[paste0("summary_", nm)]] <- hlm_lme_print(summary(o))
    }
    test <- !identical(case$extra$anova_test, FALSE)
    ord <- if (is.null(case$extra$anova_order)) rnames else as.character(case$extra$anova_order)
    if (!setequal(ord, rnames)) stop("anova_order must name the case's fits: ", paste(rnames, collapse = ", "))
    tights <- tights[match(ord, rnames)]
    cmp_code <- paste0("anova(", paste(ord, collapse = ", "),
                       if (test) "" else ", test = FALSE", ")")
    results$anova_compare_call <- cmp_code
    a <- hlm_lme_try(eval(parse(text = cmp_code), envir = env))
    results$anova_compare_warnings <- a$warnings
    if (is.null(a$error)) {
      tab <- hlm_lme_plain_df(a$value)
      tab$call <- NULL
      at <- hlm_lme_try(do.call(anova, c(unname(tights), list(test = test))))
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

  # anova(fit, L = ...) / anova(fit, Terms = ...)
  tests <- case$extra$anova_tests
  if (length(tests)) {
    results$anova_tests <- list()
    printed$anova_tests <- list()
    for (i in seq_along(tests)) {
      args <- hlm_struct_args(tests[[i]])
      args <- args[order(names(args))]
      code <- paste0("anova(", fname, hlm_struct_args_text(args), ")")
      d <- hlm_lme_try(do.call(anova, c(list(fit), args)))
      t <- hlm_lme_try(do.call(anova, c(list(tight$fit), args)))
      r <- list(call = code)
      if (is.null(d$error)) {
        r$default <- hlm_lme_plain_df(d$value)
        r$tight <- hlm_lme_plain_df(t$value)
        printed$anova_tests[[code]] <- hlm_lme_print(d$value)
      } else {
        r$error <- d$error
        printed$anova_tests[[code]] <- paste("Error:", d$error)
      }
      if (length(d$warnings)) r$warnings <- d$warnings
      results$anova_tests[[i]] <- r
    }
  }
  list(results = results, printed = printed)
}


# The numbers of one lme fit with structures: everything lme.R records
# (hlm_lme_numbers) plus the structures.
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


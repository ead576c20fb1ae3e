# The R side of the lm goldens: what stats::lm reports for one case.
#
# hlm_extract_lm(fit, case) is called by r_reference's runner in the case's
# environment, after the case's R code (r_reference/cases/lm.py: r_code)
# bound the fit to `fit`, and, when the case has them, the new data to
# `new_data` and the comparison fits to the names of case$extra$compare.
# It returns list(results = ..., printed = ...).
#
# results (R expression each key holds; `s` is summary(fit)):
#   call                  paste(deparse(fit$call), collapse = "\n")
#   coefficients          coef(fit)                      named, NA where aliased
#   rank                  fit$rank
#   aliased               s$aliased                      named logical
#   qr_pivot              fit$qr$pivot                   1-based, as R
#   df_residual           df.residual(fit)
#   summary_df            s$df                           c(p, rdf, p_all)
#   sigma                 s$sigma
#   r_squared             s$r.squared
#   adj_r_squared         s$adj.r.squared
#   fstatistic            s$fstatistic                   named value, numdf, dendf (absent without one)
#   summary_coefficients  s$coefficients                 matrix; non-aliased rows
#   summary_residuals     s$residuals                    named (weighted residuals, zero weights dropped)
#   cov_unscaled          s$cov.unscaled                 matrix
#   vcov                  vcov(fit)                      matrix, NA rows/columns for aliased
#   anova                 anova(fit)                     data frame: Df, Sum Sq, Mean Sq, F value, Pr(>F)
#   anova_heading         attr(anova(fit), "heading")    strings as R holds them
#   residuals             residuals(fit)                 named; NA-padded under na.exclude
#   fitted                fitted(fit)                    named; NA-padded under na.exclude
#   effects               effects(fit)                   named as R (coefficient names, then "")
#   weights               weights(fit)                   named (absent for unweighted fits)
#   weighted_residuals    weighted.residuals(fit)        named
#   hatvalues             hatvalues(fit)                 named
#   rstandard             rstandard(fit)                 named
#   cooks_distance        cooks.distance(fit)            named
#   deviance              deviance(fit)
#   nobs                  nobs(fit)
#   loglik, loglik_df, loglik_nobs   as.numeric(logLik(fit)), attr(, "df"), attr(, "nobs")
#   aic, bic              AIC(fit), BIC(fit)
#   model_matrix          model.matrix(fit)              matrix (rownames = kept rows)
#   model_matrix_assign   attr(model.matrix(fit), "assign")
#   model_matrix_contrasts attr(model.matrix(fit), "contrasts")   named list (absent without factors)
#   xlevels               fit$xlevels                    named list of levels
#   terms                 list(term_labels, order, intercept, response, variables, offset,
#                              factors) of terms(fit) (variables deparsed as model.frame
#                              names them: symbols without backticks; factors a matrix)
#   na_action             list(class, omitted = names(fit$na.action)) (absent without NA)
#   confint               confint(fit)                   matrix, columns "2.5 %", "97.5 %"
#   with new_data (r_code binds it):
#   predict               predict(fit, new_data)
#   predict_confidence    predict(fit, new_data, interval = "confidence")   matrix fit, lwr, upr
#   predict_prediction    predict(fit, new_data, interval = "prediction")   matrix fit, lwr, upr
#   predict_se            predict(fit, new_data, se.fit = TRUE)   list fit, se.fit, df, residual.scale
#   predict_error         R's message when predict failed (e.g. a new factor level)
#   with case$extra$compare (other fits, same data and arguments):
#   compare_call          the call text, e.g. "anova(model, model_by_make)"
#   compare_anova         that anova: data frame Res.Df, RSS, Df, Sum of Sq, F, Pr(>F)
#   compare_anova_heading attr(, "heading")
#   compare_models        per other fit: coefficients, sigma, r_squared, adj_r_squared,
#                         df_residual, deviance, fstatistic
#
# printed (capture.output, lines joined by "\n"):
#   print (print(fit)), summary (print(summary(fit))), anova (print(anova(fit))),
#   confint (print(confint(fit))), vcov (print(vcov(fit))),
#   predict, predict_confidence, predict_prediction (with new_data),
#   compare_anova (print(anova(<fits>))), summary_<name> for each compared fit.

hlm_lm_print <- function(x, ...) paste(capture.output(print(x, ...)), collapse = "\n")

hlm_lm_plain_df <- function(x) {
  d <- as.data.frame(unclass(x), optional = TRUE, stringsAsFactors = FALSE)
  names(d) <- names(x)
  rownames(d) <- rownames(x)
  d
}

hlm_lm_terms <- function(tt) {
  vars <- vapply(as.list(attr(tt, "variables"))[-1],
                 function(v) paste(deparse(v, width.cutoff = 500L), collapse = ""), "")
  fac <- attr(tt, "factors")
  list(term_labels = as.character(attr(tt, "term.labels")),
       order = as.integer(attr(tt, "order")),
       intercept = as.integer(attr(tt, "intercept")),
       response = as.integer(attr(tt, "response")),
       variables = as.list(vars),
       offset = if (is.null(attr(tt, "offset"))) NULL else as.list(as.integer(attr(tt, "offset"))),
       factors = if (length(fac)) fac else NULL)
}

hlm_lm_numbers <- function(fit) {
  s <- summary(fit)
  r <- list()
  r$call <- paste(deparse(fit$call), collapse = "\n")
  r$coefficients <- coef(fit)
  r$rank <- fit$rank
  r$aliased <- s$aliased
  r$qr_pivot <- fit$qr$pivot
  r$df_residual <- df.residual(fit)
  r$summary_df <- as.list(s$df)
  r$sigma <- s$sigma
  r$r_squared <- s$r.squared
  r$adj_r_squared <- s$adj.r.squared
  if (!is.null(s$fstatistic)) r$fstatistic <- s$fstatistic
  r$summary_coefficients <- s$coefficients
  r$summary_residuals <- s$residuals
  r$cov_unscaled <- s$cov.unscaled
  r$vcov <- vcov(fit)
  a <- anova(fit)
  r$anova <- hlm_lm_plain_df(a)
  r$anova_heading <- as.list(attr(a, "heading"))
  r$residuals <- residuals(fit)
  r$fitted <- fitted(fit)
  r$effects <- unclass(effects(fit))
  if (!is.null(weights(fit))) r$weights <- weights(fit)
  r$weighted_residuals <- weighted.residuals(fit)
  r$hatvalues <- hatvalues(fit)
  r$rstandard <- rstandard(fit)
  r$cooks_distance <- cooks.distance(fit)
  r$deviance <- deviance(fit)
  r$nobs <- nobs(fit)
  ll <- logLik(fit)
  r$loglik <- as.numeric(ll)
  r$loglik_df <- attr(ll, "df")
  r$loglik_nobs <- attr(ll, "nobs")
  r$aic <- AIC(fit)
  r$bic <- BIC(fit)
  mm <- model.matrix(fit)
  r$model_matrix <- structure(as.vector(mm), dim = dim(mm), dimnames = dimnames(mm))
  r$model_matrix_assign <- as.list(attr(mm, "assign"))
  if (!is.null(attr(mm, "contrasts"))) r$model_matrix_contrasts <- attr(mm, "contrasts")
  r$xlevels <- fit$xlevels
  r$terms <- hlm_lm_terms(terms(fit))
  if (!is.null(fit$na.action)) {
    r$na_action <- list(class = class(fit$na.action), omitted = as.list(names(fit$na.action)))
  }
  r$confint <- confint(fit)
  r
}

hlm_lm_get <- function(name, env) get0(name, envir = env, inherits = TRUE)

hlm_extract_lm <- function(fit, case, env = parent.frame()) {
  results <- hlm_lm_numbers(fit)
  printed <- list()
  printed$print <- hlm_lm_print(fit)
  printed$summary <- hlm_lm_print(summary(fit))
  printed$anova <- hlm_lm_print(anova(fit))
  printed$confint <- hlm_lm_print(confint(fit))
  printed$vcov <- hlm_lm_print(vcov(fit))

  nd <- hlm_lm_get("new_data", env)
  if (!is.null(nd)) {
    p <- tryCatch(predict(fit, newdata = nd), error = function(e) e)
    if (inherits(p, "error")) {
      results$predict_error <- conditionMessage(p)
    } else {
      results$predict <- p
      results$predict_confidence <- predict(fit, newdata = nd, interval = "confidence")
      results$predict_prediction <- predict(fit, newdata = nd, interval = "prediction")
      results$predict_se <- predict(fit, newdata = nd, se.fit = TRUE)
      printed$predict <- hlm_lm_print(p)
      printed$predict_confidence <- hlm_lm_print(results$predict_confidence)
      printed$predict_prediction <- hlm_lm_print(results$predict_prediction)
    }
  }

  cmp <- case$extra$compare
  if (length(cmp)) {
    fit_name <- if (is.null(case$extra$fit_name)) "fit" else case$extra$fit_name
    order <- case$extra$anova_order
    if (is.null(order)) order <- c(vapply(cmp, function(m) m$name, ""), "fit")
    order[order == "fit"] <- fit_name
    call_text <- paste0("anova(", paste(order, collapse = ", "), ")")
    a <- eval(parse(text = call_text), envir = env)
    results$compare_call <- call_text
    results$compare_anova <- hlm_lm_plain_df(a)
    results$compare_anova_heading <- as.list(attr(a, "heading"))
    printed$compare_anova <- hlm_lm_print(a)
    results$compare_models <- list()
    for (m in cmp) {
      o <- hlm_lm_get(m$name, env)
      so <- summary(o)
      results$compare_models[[m$name]] <- list(
        coefficients = coef(o), sigma = so$sigma, r_squared = so$r.squared,
        adj_r_squared = so$adj.r.squared, df_residual = df.residual(o),
        deviance = deviance(o), fstatistic = so$fstatistic)
      printed[[paste0("summary_", m$name)]] <- hlm_lm_print(so)
    }
  }
  list(results = results, printed = printed)
}

# Support code of r_reference/runner.py (not a case kind: the runner loads
# every r_reference/R/<kind>.R for the kinds of r_reference/cases/<kind>.py,
# and this file first).
#
# A case runs in its own environment, a child of hlm_data_env (which holds,
# as promises, the shipped data sets that are not on R's search path, such
# as `hsb` and `sleepstudy`; see runner.py).

hlm_data_env <- new.env(parent = globalenv())

# Evaluate the expressions `exprs` one by one in `env`, collecting R's
# warnings (muffled) and the first error instead of failing.
hlm_eval_collect <- function(exprs, env) {
  warns <- character()
  err <- NULL
  value <- NULL
  withCallingHandlers(
    tryCatch({
      for (e in exprs) value <- eval(e, envir = env)
      NULL
    }, error = function(e) {
      call <- conditionCall(e)
      # the call's first line only: a call on a data frame deparses the data
      err <<- list(message = conditionMessage(e),
                   call = if (is.null(call)) NULL else deparse(call, width.cutoff = 500L,
                                                               nlines = 1L))
      NULL
    }),
    warning = function(w) {
      warns <<- c(warns, conditionMessage(w))
      invokeRestart("muffleWarning")
    },
    message = function(m) invokeRestart("muffleMessage"))
  list(value = value, warnings = warns, error = err)
}

# Run one case: bind the data (setup), run the case's R code, then call
# hlm_extract_<kind>(fit, case) in the case's environment (so that its
# parent.frame() sees the data and every object the R code made).
hlm_run_case <- function(setup, code, kind, case, data_name) {
  env <- new.env(parent = hlm_data_env)
  s <- hlm_eval_collect(parse(text = setup), env)
  if (!is.null(s$error)) return(list(stage = "setup", error = s$error, warnings = s$warnings))
  data <- get0(data_name, envir = env, inherits = TRUE)
  r <- hlm_eval_collect(parse(text = code), env)
  out <- list(data = data, setup_warnings = s$warnings, code_warnings = r$warnings,
              code_error = r$error)
  if (!is.null(r$error) && !exists("fit", envir = env, inherits = FALSE)) {
    out$stage <- "code"
    return(out)
  }
  assign(".hlm_case", case, envir = env)
  x <- hlm_eval_collect(parse(text = sprintf("hlm_extract_%s(fit, .hlm_case)", kind)), env)
  out$value <- x$value
  out$extract_warnings <- x$warnings
  out$extract_error <- x$error
  out$stage <- if (is.null(x$error)) "done" else "extract"
  out
}

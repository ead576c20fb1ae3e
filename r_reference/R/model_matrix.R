# The R side of the model_matrix goldens: what model.matrix gives for a formula.
#
# hlm_extract_model_matrix(fit, case) is called by r_reference's runner in the
# case's environment after `fit <- model.matrix(<formula>, data = <data>)`.
#
# results:
#   model_matrix            the matrix (rownames, colnames, values)
#   assign                  attr(fit, "assign")
#   contrasts               attr(fit, "contrasts")   (absent without factors)
#   terms                   list(term_labels, order, intercept, response, variables,
#                                offset, factors) of terms(formula, data = <data>)
# printed:
#   print                   print(fit) (only when it has at most 60 rows)

hlm_extract_model_matrix <- function(fit, case, env = parent.frame()) {
  data <- get(case$data_name, envir = env)
  tt <- terms(as.formula(case$args$formula), data = data)
  r <- list()
  r$model_matrix <- structure(as.vector(fit), dim = dim(fit), dimnames = dimnames(fit))
  r$assign <- as.list(attr(fit, "assign"))
  if (!is.null(attr(fit, "contrasts"))) r$contrasts <- attr(fit, "contrasts")
  r$terms <- hlm_lm_terms(tt)
  printed <- list()
  if (nrow(fit) <= 60) printed$print <- hlm_lm_print(fit)
  list(results = r, printed = printed)
}

# chokepoint results in R: one call reads a results file (docs/output-format.md) into a list
# of long data.frames, one per variable, with a `policy` column: the R counterpart of the
# Python package python/chokepoint (the variables have the same names; python/README.md).
#
#   source("examples/chokepoint.R")
#   r <- chokepoint_open("results.h5")      # or chokepoint_open(f, paths = FALSE)
#   r$policies                             # policy, policy_index, policy_description, ...
#   aggregate(loss_total ~ policy, r$loss_total, mean)
#   head(r$loss)                           # policy, path, industry, loss
#   r$benefit_mean                         # NA for the baseline
#   r$attrs$seed                           # root attributes
#   r$time                                 # month, time (Date): with a scenario `start`
#
# stockout_month is NA where the stockpile never ran dry (the dataset's _FillValue).
# Each data.frame has the dimensions in the file's order (policy first), then the values in a
# column named after the variable. hdf5r reads arrays with their dimensions reversed (R is
# column-major); the expansion below accounts for it. uint64 attributes above 2^63 - 1
# (the generator state) saturate in hdf5r: take them from Python. Needs hdf5r (r-cran-hdf5r).

chokepoint_schema_version <- 2L  # reads version 1 too

# Root attributes every results file carries; dimension scales whose values differ by policy
# (their dimension is numbered 0..n-1 instead, and the scale is a variable).
.ckp_required <- c("schema_version", "complete", "paths", "first_path", "horizon_months")
.ckp_per_policy_scales <- c("level")
.ckp_groups <- list(c("", ""), c("summary", "summary_"), c("quantiles", "quantiles_"),
                    c("exceedance", "exceedance_"), c("month", "month_"),
                    c("comparison", "benefit_"))

.ckp_name <- function(prefix, name) {
  if (prefix == "" || (prefix == "benefit_" && startsWith(name, "benefit"))) name
  else paste0(prefix, name)
}

# A dataset's values as a plain vector in row-major (file) order, numbers as double; a
# value equal to the dataset's _FillValue (stockout_month's "never") becomes NA, and so does
# -1 in stockout_month of a version-1 file (`never`).
.ckp_values <- function(d, never = FALSE) {
  v <- d$read()
  if (inherits(v, "integer64")) v <- as.numeric(v)
  if (is.numeric(v) && !is.double(v)) v <- as.double(v)
  v <- as.vector(v)
  fill <- if (d$attr_exists("_FillValue")) hdf5r::h5attr(d, "_FillValue") else if (never) -1
  if (!is.null(fill)) v[v == fill] <- NA
  v
}

# With a scenario `start`: the root's `time` (month) as Dates ("days since YYYY-MM-DD").
.ckp_time <- function(f) {
  if (!f$exists("time")) return(NULL)
  d <- f[["time"]]
  origin <- as.Date(sub("^days since ", "", hdf5r::h5attr(d, "units")))
  data.frame(month = f[["month"]][], time = origin + as.vector(d$read()))
}

# The dimension scales attached to a dataset (hdf5r objects), in the file's order of dims.
# Their names come from the scales' NAME attribute: asking a dereferenced object for its
# path makes HDF5 search the file.
.ckp_scales <- function(f, d) {
  if (!d$attr_exists("DIMENSION_LIST")) return(list())
  lapply(d$attr_open("DIMENSION_LIST")$read(), function(r) r$dereference(obj = f)[[1]])
}

chokepoint_open <- function(path, paths = TRUE) {
  if (!file.exists(path)) stop(sprintf("%s: no such file", path), call. = FALSE)
  f <- tryCatch(hdf5r::H5File$new(path, mode = "r"), error = function(e)
    stop(sprintf("%s: not a chokepoint result file (not readable as HDF5)", path), call. = FALSE))
  on.exit(f$close_all())
  attrs <- suppressWarnings(hdf5r::h5attributes(f))
  missing <- setdiff(.ckp_required, names(attrs))
  if (length(missing))
    stop(sprintf("%s: not a chokepoint result file (root attribute %s missing)", path,
                 paste0("'", missing, "'", collapse = ", ")), call. = FALSE)
  if (attrs$schema_version > chokepoint_schema_version)
    stop(sprintf("%s: schema_version %d is newer than this reader knows (%d)", path,
                 attrs$schema_version, chokepoint_schema_version), call. = FALSE)
  if (attrs$complete != 1)
    stop(sprintf("%s: incomplete chokepoint result (complete = %d): the run that wrote it did not finish",
                 path, attrs$complete), call. = FALSE)
  policies <- f[["policy"]][]
  np <- length(policies)

  # Pass 1: per variable, the dims and, per policy, the values (NULL where a policy has none).
  vars <- list()
  skipped <- character(0)
  coords <- list()
  pol <- list()
  for (i in seq_len(np)) {
    base <- paste0("policies/", policies[i])
    pol[[i]] <- hdf5r::h5attributes(f[[base]])
    for (g in .ckp_groups) {
      gpath <- if (g[1] == "") base else paste0(base, "/", g[1])
      if (!f$exists(gpath)) next
      grp <- f[[gpath]]
      for (dname in names(grp)) {
        if (dname == "time") next  # an auxiliary coordinate: out$time
        d <- grp[[dname]]
        if (!inherits(d, "H5D")) next
        scale <- d$attr_exists("CLASS")
        if (scale && !(dname %in% .ckp_per_policy_scales)) next
        v <- .ckp_name(g[2], dname)
        if (v %in% skipped) next
        if (is.null(vars[[v]])) {  # dims once per variable: every policy has the same layout
          sc <- if (scale) list() else .ckp_scales(f, d)
          dims <- if (scale) dname else vapply(sc, function(o) hdf5r::h5attr(o, "NAME"), "")
          if (!paths && "path" %in% dims) {
            skipped <- c(skipped, v)
            next
          }
          for (k in seq_along(sc)) {
            if (is.null(coords[[dims[k]]]))
              coords[[dims[k]]] <- if (dims[k] %in% .ckp_per_policy_scales)
                seq_len(rev(d$dims)[k]) - 1L else sc[[k]]$read()
          }
          vars[[v]] <- list(dims = dims, values = vector("list", np))
        }
        vars[[v]]$values[i] <- list(.ckp_values(d, attrs$schema_version == 1 &&
                                                  v == "stockout_month"))
      }
    }
  }
  for (d in .ckp_per_policy_scales)
    if (!is.null(vars[[paste0("exceedance_", d)]]) && is.null(coords[[d]]))
      coords[[d]] <- seq_along(vars[[paste0("exceedance_", d)]]$values[[1]]) - 1L

  # Pass 2: one long data.frame per variable.
  out <- list(attrs = attrs, time = .ckp_time(f))
  out$policies <- data.frame(policy = policies, stringsAsFactors = FALSE)
  for (a in names(pol[[1]])) {
    col <- if (startsWith(a, "policy_")) a else paste0("policy_", a)
    out$policies[[col]] <- vapply(pol, function(p) p[[a]], pol[[1]][[a]])
  }
  for (v in names(vars)) {
    dims <- vars[[v]]$dims
    n <- max(vapply(vars[[v]]$values, length, 0L))
    grid <- if (length(dims)) {
      g <- expand.grid(rev(coords[dims]), KEEP.OUT.ATTRS = FALSE, stringsAsFactors = FALSE)
      g[rev(seq_along(g))]
    } else data.frame(row.names = 1)
    names(grid) <- dims
    parts <- lapply(seq_len(np), function(i) {
      x <- vars[[v]]$values[[i]]
      df <- cbind(data.frame(policy = rep(policies[i], n), stringsAsFactors = FALSE), grid)
      df[[v]] <- if (is.null(x)) rep(NA_real_, n) else x
      df
    })
    out[[v]] <- do.call(rbind, parts)
    rownames(out[[v]]) <- NULL
  }
  out
}

# chokepoint results in R (hdf5r and base graphics).
#
# Usage: Rscript examples/charts.R results.h5 [OUTDIR]
# Draws the fan chart of the shortfall by month, the exceedance curve of the
# total loss, the policy comparison with error bars, the losses by industry and
# the benefit-cost ratios into OUTDIR (PNG; default `charts`, created if
# missing), and prints, per policy, the mean total loss computed here from the
# per-path values next to the mean stored in the file (the interop test
# compares them).
#
# hdf5r reverses the order of dimensions (R arrays are column-major): a dataset
# stored as (path, industry) reads as an industry x path matrix, and
# month/shortfall_band (month, material, quantile) as quantile x material x month.
library(hdf5r)

args <- commandArgs(trailingOnly = TRUE)
file <- if (length(args) >= 1) args[1] else "results.h5"
outdir <- if (length(args) >= 2) args[2] else "charts"
if (!file.exists(file)) {
  message(sprintf("charts.R: %s: no such file (write one with `chokepoint run -o %s`)", file, file))
  quit(status = 2)
}
dir.create(outdir, recursive = TRUE, showWarnings = FALSE)
written <- character(0)

f <- H5File$new(file, mode = "r")
policies <- f[["policy"]][]
currency <- h5attr(f, "currency")
months <- f[["month"]][]
probs <- f[["quantile"]][]

# Per policy: mean of the per-path total loss against the stored summary
# (the `stat` dimension names its entries).
stat_names <- f[["policies/baseline/summary/stat"]][]
cat(sprintf("%s: %d paths, %d months, policies: %s\n", h5attr(f, "scenario_name"),
            h5attr(f, "paths"), length(months), paste(policies, collapse = ", ")))
cat(sprintf("Mean total loss per policy (%s): from the per-path values, and as stored\n",
            currency))
for (p in policies) {
  loss <- f[[paste0("policies/", p, "/loss_total")]][]
  stored <- f[[paste0("policies/", p, "/summary/loss_total")]][]
  names(stored) <- stat_names
  cat(sprintf("mean %s %.17g %.17g\n", p, mean(loss), stored[["mean"]]))
}

# Fan chart of the shortfall of each material, baseline.
band <- f[["policies/baseline/month/shortfall_band"]][, , ]  # quantile x material x month
mmean <- f[["policies/baseline/month/shortfall_mean"]][, ]   # material x month
materials <- f[["policies/baseline/month/material"]][]
q <- function(p) which.min(abs(probs - p))
png(file.path(outdir, "fan_shortfall_R.png"), width = 260 * length(materials), height = 300)
written <- c(written, "fan_shortfall_R.png")
par(mfrow = c(1, length(materials)), oma = c(0, 0, 1.6, 0))
for (m in seq_along(materials)) {
  plot(months, mmean[m, ], type = "n", ylim = c(0, max(band[q(0.95), , ], 1e-9)),
       xlab = "month", ylab = "shortfall (share of monthly demand)", main = materials[m])
  polygon(c(months, rev(months)), c(band[q(0.05), m, ], rev(band[q(0.95), m, ])),
          col = rgb(0.12, 0.47, 0.71, 0.2), border = NA)
  polygon(c(months, rev(months)), c(band[q(0.25), m, ], rev(band[q(0.75), m, ])),
          col = rgb(0.12, 0.47, 0.71, 0.45), border = NA)
  lines(months, mmean[m, ], lwd = 2)
  if (m == 1)
    legend("topleft", legend = c("5-95 % of paths", "25-75 % of paths", "mean"), bty = "n",
           cex = 0.8,
           fill = c(rgb(0.12, 0.47, 0.71, 0.2), rgb(0.12, 0.47, 0.71, 0.45), NA),
           border = NA, lty = c(NA, NA, 1), lwd = c(NA, NA, 2))
}
mtext("Baseline shortfall by month (bands across paths, line: mean)", outer = TRUE, line = 0.3, font = 2)
invisible(dev.off())

# Exceedance curve of the total loss, per policy.
png(file.path(outdir, "exceedance_loss_R.png"), width = 600, height = 420)
written <- c(written, "exceedance_loss_R.png")
cols <- seq_along(policies)
xmax <- 0
for (p in policies) xmax <- max(xmax, f[[paste0("policies/", p, "/exceedance/level")]][])
plot(NA, xlim = c(0, xmax / 1e9), ylim = c(0.5 / h5attr(f, "paths"), 1), log = "y",
     xlab = paste0("total loss over the horizon (billion ", currency, ")"),
     ylab = "probability the loss is larger",
     main = "Exceedance curve of the total loss")
for (i in seq_along(policies)) {
  g <- paste0("policies/", policies[i], "/exceedance/")
  lev <- f[[paste0(g, "level")]][]
  pr <- f[[paste0(g, "prob")]][]
  keep <- pr > 0
  lines(lev[keep] / 1e9, pr[keep], col = cols[i], lwd = 2)
}
legend("topright", legend = policies, col = cols, lwd = 2, cex = 0.8, title = "policy")
invisible(dev.off())

# Policy comparison: mean benefit with 95 % error bars (paired standard errors).
others <- policies[-1]
bm <- sapply(others, function(p) f[[paste0("policies/", p, "/comparison/benefit_mean")]][]) / 1e9
bs <- sapply(others, function(p) f[[paste0("policies/", p, "/comparison/benefit_se")]][]) / 1e9
png(file.path(outdir, "policy_comparison_R.png"), width = 600, height = 420)
written <- c(written, "policy_comparison_R.png")
par(mar = c(8, 5, 3, 1))
mid <- barplot(bm, names.arg = others, las = 2, col = "forestgreen",
               ylim = range(0, bm + 2 * bs, bm - 2 * bs),
               ylab = paste0("mean benefit (billion ", currency, ")"),
               main = "Policies against the baseline (mean loss avoided)")
arrows(mid, bm - 1.96 * bs, mid, bm + 1.96 * bs, angle = 90, code = 3, length = 0.05)
abline(h = 0)
legend("topleft", legend = "mean benefit, 95 % CI", fill = "forestgreen", bty = "n", cex = 0.8)
invisible(dev.off())

# Losses by industry: mean over paths per policy (stored summaries; stat x industry in R).
industries <- f[["industry"]][]
lm <- sapply(policies, function(p) {
  s <- f[[paste0("policies/", p, "/summary/loss")]][, ]
  s[which(stat_names == "mean"), ]
}) / 1e9                                     # industry x policy
ord <- order(-lm[, 1])                       # industries by the baseline's loss
lm <- lm[ord, , drop = FALSE]
png(file.path(outdir, "industry_loss_R.png"), width = 900, height = 460)
written <- c(written, "industry_loss_R.png")
par(mar = c(8, 5, 3, 1))
barplot(t(lm), beside = TRUE, names.arg = industries[ord], las = 2,
  col = hcl.colors(length(policies), "Dark 3"),
  ylab = paste0("mean loss over the horizon (billion ", currency, ")"),
  main = "Losses by industry, per policy")
legend("topright", legend = policies, fill = hcl.colors(length(policies), "Dark 3"),
       title = "policy", cex = 0.8, bty = "n")
invisible(dev.off())

# Benefit-cost ratio of the policies that state a cost (log scale).
bcr <- sapply(others, function(p) f[[paste0("policies/", p, "/comparison/bcr")]][])
has <- is.finite(bcr)
png(file.path(outdir, "benefit_cost_R.png"), width = 600, height = 420)
written <- c(written, "benefit_cost_R.png")
par(mar = c(8, 5, 3, 1))
mid <- barplot(bcr[has], names.arg = others[has], las = 2, col = "purple", log = "y",
               ylim = c(0.5, max(c(bcr[has], 1)) * 3), yaxt = "n",
               ylab = "benefit-cost ratio (log scale)",
               main = "Benefit-cost ratio (mean benefit / cost over the horizon)")
ticks <- 10^(0:ceiling(log10(max(c(bcr[has], 1)) * 3)))
axis(2, at = ticks, labels = format(ticks, scientific = FALSE, trim = TRUE), las = 1)
text(mid, bcr[has], labels = signif(bcr[has], 3), pos = 3, cex = 0.8)
abline(h = 1, lty = 2)
legend("topright", legend = "B/C = 1 (break even)", lty = 2, bty = "n", cex = 0.8)
if (any(!has))
  mtext(paste("no cost stated (no ratio):", paste(others[!has], collapse = ", ")), side = 1,
        line = 6.5, cex = 0.8)
invisible(dev.off())

f$close_all()
cat(sprintf("charts in %s/: %s\n", sub("/+$", "", outdir), paste(written, collapse = ", ")))

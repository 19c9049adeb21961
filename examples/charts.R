# chokepoint results in R (hdf5r and base graphics).
#
# Usage: Rscript examples/charts.R results.h5 [OUTDIR]
# Draws the fan chart of the shortfall by month, the exceedance curve of the
# total loss and the policy comparison with error bars into OUTDIR (PNG), and
# prints, per policy, the mean total loss computed here from the per-path
# values next to the mean stored in the file (the interop test compares them).
#
# hdf5r reverses the order of dimensions (R arrays are column-major): a dataset
# stored as (path, industry) reads as an industry x path matrix, and
# month/shortfall_band (month, material, quantile) as quantile x material x month.
library(hdf5r)

args <- commandArgs(trailingOnly = TRUE)
file <- if (length(args) >= 1) args[1] else "results.h5"
outdir <- if (length(args) >= 2) args[2] else "."

f <- H5File$new(file, mode = "r")
policies <- f[["policy"]][]
currency <- h5attr(f, "currency")
months <- f[["month"]][]
probs <- f[["quantile"]][]

# Per policy: mean of the per-path total loss against the stored summary
# (the `stat` dimension names its entries).
stat_names <- f[["policies/baseline/summary/stat"]][]
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
par(mfrow = c(1, length(materials)), oma = c(0, 0, 1.6, 0))
for (m in seq_along(materials)) {
  plot(months, mmean[m, ], type = "n", ylim = c(0, max(band[q(0.95), , ], 1e-9)),
       xlab = "month", ylab = "shortfall (fraction of demand)", main = materials[m])
  polygon(c(months, rev(months)), c(band[q(0.05), m, ], rev(band[q(0.95), m, ])),
          col = rgb(0.12, 0.47, 0.71, 0.2), border = NA)
  polygon(c(months, rev(months)), c(band[q(0.25), m, ], rev(band[q(0.75), m, ])),
          col = rgb(0.12, 0.47, 0.71, 0.45), border = NA)
  lines(months, mmean[m, ], lwd = 2)
  if (m == 1)
    legend("topleft", legend = c("5-95 %", "25-75 %", "mean"), bty = "n", cex = 0.8,
           fill = c(rgb(0.12, 0.47, 0.71, 0.2), rgb(0.12, 0.47, 0.71, 0.45), NA),
           border = NA, lty = c(NA, NA, 1), lwd = c(NA, NA, 2))
}
mtext("Baseline shortfall by month (bands across paths, line: mean)", outer = TRUE, line = 0.3, font = 2)
invisible(dev.off())

# Exceedance curve of the total loss, per policy.
png(file.path(outdir, "exceedance_loss_R.png"), width = 600, height = 420)
cols <- seq_along(policies)
xmax <- 0
for (p in policies) xmax <- max(xmax, f[[paste0("policies/", p, "/exceedance/level")]][])
plot(NA, xlim = c(0, xmax / 1e9), ylim = c(1e-3, 1), log = "y",
     xlab = paste0("total loss (billion ", currency, ")"), ylab = "P(loss > level)",
     main = "Exceedance curve of the total loss")
for (i in seq_along(policies)) {
  g <- paste0("policies/", policies[i], "/exceedance/")
  lev <- f[[paste0(g, "level")]][]
  pr <- f[[paste0(g, "prob")]][]
  keep <- pr > 0
  lines(lev[keep] / 1e9, pr[keep], col = cols[i], lwd = 2)
}
legend("topright", legend = policies, col = cols, lwd = 2, cex = 0.8)
invisible(dev.off())

# Policy comparison: mean benefit with 95 % error bars (paired standard errors).
others <- policies[-1]
bm <- sapply(others, function(p) f[[paste0("policies/", p, "/comparison/benefit_mean")]][]) / 1e9
bs <- sapply(others, function(p) f[[paste0("policies/", p, "/comparison/benefit_se")]][]) / 1e9
png(file.path(outdir, "policy_comparison_R.png"), width = 600, height = 420)
par(mar = c(8, 5, 3, 1))
mid <- barplot(bm, names.arg = others, las = 2, col = "forestgreen",
               ylim = range(0, bm + 2 * bs, bm - 2 * bs),
               ylab = paste0("mean benefit (billion ", currency, ")"),
               main = "Policies against the baseline (95 % CI)")
arrows(mid, bm - 1.96 * bs, mid, bm + 1.96 * bs, angle = 90, code = 3, length = 0.05)
abline(h = 0)
invisible(dev.off())

f$close_all()

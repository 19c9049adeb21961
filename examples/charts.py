# %% [markdown]
# # chokepoint results in a notebook
#
# Opens a results file written by `chokepoint run -o results.h5` and draws the
# three standard charts: the fan chart of the shortfall by month, the
# exceedance curve of the total loss, and the policy comparison with error
# bars. Run as a script: `/usr/bin/python3 examples/charts.py results.h5 [OUTDIR]`
# (the PNGs go to OUTDIR, created if missing; default the current directory).
# It needs Debian's python3-xarray, python3-h5netcdf and python3-matplotlib:
# /usr/bin/python3 has them; another python3 on PATH may not. The notebook
# examples/charts.ipynb holds the same cells.

# %%
import os
import sys

import matplotlib

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")  # no display needed when run as a script
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

# As a script: FILE [OUTDIR] from the command line. In a notebook: the
# environment variables CKP_RESULTS and CKP_OUTDIR (set them before starting
# Jupyter), else results.h5 and the current directory; or set FILE by hand.
SCRIPT = "ipykernel" not in sys.modules
FILE = sys.argv[1] if SCRIPT and len(sys.argv) > 1 else os.environ.get("CKP_RESULTS", "results.h5")
OUTDIR = sys.argv[2] if SCRIPT and len(sys.argv) > 2 else os.environ.get("CKP_OUTDIR", ".")
os.makedirs(OUTDIR, exist_ok=True)

# %% [markdown]
# One line opens a policy's per-path metrics with labelled dimensions
# (path, industry, material, supplier, regime).

# %%
base = xr.open_dataset(FILE, engine="h5netcdf", group="policies/baseline")
root = xr.open_dataset(FILE, engine="h5netcdf")
policies = [str(p) for p in root["policy"].values]
currency = root.attrs["currency"]
print(f"{root.attrs['scenario_name']}: {root.attrs['paths']} paths, "
      f"{root.attrs['horizon_months']} months, policies {policies}")
q = base["loss_total"].quantile([0.5, 0.95, 0.99]).values / 1e9
print(f"baseline total loss, billion {currency}: median {q[0]:.2f}, p95 {q[1]:.2f}, "
      f"p99 {q[2]:.2f}")

# %% [markdown]
# ## Fan chart of the shortfall by month
# The bands come from the per-month histograms stored in `month/` (5-95 % and
# 25-75 %), with the exact mean over paths as a line.

# %%
month = xr.open_dataset(FILE, engine="h5netcdf", group="policies/baseline/month")
band = month["shortfall_band"]
materials = [str(m) for m in month["material"].values]
fig, axes = plt.subplots(1, len(materials), figsize=(3.2 * len(materials), 3.2), sharey=True,
                         squeeze=False)
for ax, mat in zip(axes[0], materials):
    b = band.sel(material=mat)
    t = month["month"].values
    ax.fill_between(t, b.sel(quantile=0.05), b.sel(quantile=0.95), color="tab:blue", alpha=0.2,
                    step="mid", label="5-95 %")
    ax.fill_between(t, b.sel(quantile=0.25), b.sel(quantile=0.75), color="tab:blue", alpha=0.4,
                    step="mid", label="25-75 %")
    ax.plot(t, month["shortfall_mean"].sel(material=mat), color="k", label="mean")
    ax.set_title(mat)
    ax.set_xlabel("month")
axes[0][0].set_ylabel("shortfall (fraction of demand)")
axes[0][0].legend(fontsize=7)
fig.suptitle("Baseline shortfall by month")
fig.tight_layout()
fig.savefig(os.path.join(OUTDIR, "fan_shortfall.png"), dpi=80)

# %% [markdown]
# ## Exceedance curve of the total loss, per policy

# %%
fig, ax = plt.subplots(figsize=(6, 4))
for p in policies:
    ex = xr.open_dataset(FILE, engine="h5netcdf", group=f"policies/{p}/exceedance")
    ax.plot(ex["level"] / 1e9, ex["prob"], label=p)
ax.set_yscale("log")
ax.set_xlabel(f"total loss (billion {currency})")
ax.set_ylabel("P(loss > level)")
ax.set_title("Exceedance curve of the total loss")
ax.legend(fontsize=7)
fig.tight_layout()
fig.savefig(os.path.join(OUTDIR, "exceedance_loss.png"), dpi=80)

# %% [markdown]
# ## Policy comparison: mean benefit against the baseline, with 95 % error bars
# (paired standard errors: every policy ran on the same random paths).

# %%
names, mean, se = [], [], []
for p in policies[1:]:
    cmp_ = xr.open_dataset(FILE, engine="h5netcdf", group=f"policies/{p}/comparison")
    names.append(p)
    mean.append(float(cmp_["benefit_mean"]) / 1e9)
    se.append(float(cmp_["benefit_se"]) / 1e9)
fig, ax = plt.subplots(figsize=(6, 4))
ax.bar(names, mean, yerr=1.96 * np.array(se), capsize=4, color="tab:green")
ax.axhline(0, color="k", lw=0.8)
ax.set_ylabel(f"mean benefit (billion {currency})")
ax.set_title("Policies against the baseline (95 % CI)")
plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
fig.tight_layout()
fig.savefig(os.path.join(OUTDIR, "policy_comparison.png"), dpi=80)

# %% [markdown]
# ## The worst path
# Its index, ready for `chokepoint replay FILE --path N`.

# %%
worst = int(base["loss_total"].idxmax("path"))
print(f"worst path: {worst}; replay it with: chokepoint replay {FILE} --path {worst}")

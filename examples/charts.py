# %% [markdown]
# # chokepoint results in a notebook
#
# Opens a results file written by `chokepoint run -o results.h5` and draws the
# standard charts: the fan chart of the shortfall by month, the exceedance
# curve of the total loss, the policy comparison with error bars, the losses
# by industry, and what each policy buys (benefit-cost ratio, and the tail:
# the cut in CVaR99 next to the mean benefit).
#
# As a script: `/usr/bin/python3 examples/charts.py results.h5 [OUTDIR] [--policy P]`
# (PNGs go to OUTDIR, created if missing, default `charts`; `--policy` picks the
# policy of the fan chart and the worst path, default the baseline).
# In Jupyter: set the environment variables CKP_RESULTS (and CKP_OUTDIR,
# CKP_POLICY) before starting it, or edit the parameters cell below.
# It needs Debian's python3-xarray, python3-h5netcdf and python3-matplotlib:
# /usr/bin/python3 has them; another python3 on PATH may not. The notebook
# examples/charts.ipynb holds the same cells (scripts/py2nb.py makes it).

# %% tags=["parameters"]
# Parameters (a notebook runner such as papermill may override this cell).
import os

FILE = os.environ.get("CKP_RESULTS", "results.h5")
OUTDIR = os.environ.get("CKP_OUTDIR", "charts")
POLICY = os.environ.get("CKP_POLICY", "baseline")

# %%
import argparse
import sys

import matplotlib

SCRIPT = "ipykernel" not in sys.modules
if SCRIPT:
    matplotlib.use("Agg")  # no display needed when run as a script
    cli = argparse.ArgumentParser(description="Draw the standard charts of a results file.")
    cli.add_argument("file", help="results file of `chokepoint run -o`")
    cli.add_argument("outdir", nargs="?", default="charts", help="folder for the PNGs")
    cli.add_argument("--policy", default="baseline",
                     help="policy of the fan chart and the worst path (default: baseline)")
    opts = cli.parse_args()
    FILE, OUTDIR, POLICY = opts.file, opts.outdir, opts.policy
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

if not os.path.exists(FILE):
    sys.exit(f"charts: {FILE}: no such file (write one with `chokepoint run -o {FILE}`)")
os.makedirs(OUTDIR, exist_ok=True)
written = []


def save(fig, name):
    """Save a figure into OUTDIR and remember its name."""
    fig.savefig(os.path.join(OUTDIR, name), dpi=90)
    written.append(name)
    if SCRIPT:
        plt.close(fig)


# %% [markdown]
# One line opens a policy's per-path metrics with labelled dimensions
# (path, industry, material, supplier, regime).

# %%
root = xr.open_dataset(FILE, engine="h5netcdf")
policies = [str(p) for p in root["policy"].values]
if POLICY not in policies:
    sys.exit(f"charts: {FILE}: no policy '{POLICY}' (the file has: {', '.join(policies)})")
currency = root.attrs["currency"]
pol = xr.open_dataset(FILE, engine="h5netcdf", group=f"policies/{POLICY}")
print(f"{root.attrs['scenario_name']}: {root.attrs['paths']} paths, "
      f"{root.attrs['horizon_months']} months, policies: {', '.join(policies)}")
q = pol["loss_total"].quantile([0.5, 0.95, 0.99]).values / 1e9
print(f"{POLICY} total loss, billion {currency}: median {q[0]:.2f}, p95 {q[1]:.2f}, "
      f"p99 {q[2]:.2f}")

# %% [markdown]
# ## Fan chart of the shortfall by month
# The bands come from the per-month histograms stored in `month/` (5-95 % and
# 25-75 % of the paths), with the exact mean over paths as a line. With a
# scenario `start`, the months are dates.

# %%
month = xr.open_dataset(FILE, engine="h5netcdf", group=f"policies/{POLICY}/month")
band = month["shortfall_band"]
materials = [str(m) for m in month["material"].values]
t = month["time"].values if "time" in month.coords else month["month"].values
fig, axes = plt.subplots(1, len(materials), figsize=(3.2 * len(materials), 3.4), sharey=True,
                         squeeze=False)
for ax, mat in zip(axes[0], materials):
    b = band.sel(material=mat)
    ax.fill_between(t, b.sel(quantile=0.05), b.sel(quantile=0.95), color="tab:blue", alpha=0.2,
                    step="mid", label="5-95 % of paths")
    ax.fill_between(t, b.sel(quantile=0.25), b.sel(quantile=0.75), color="tab:blue", alpha=0.4,
                    step="mid", label="25-75 % of paths")
    ax.plot(t, month["shortfall_mean"].sel(material=mat), color="k", label="mean")
    ax.set_title(mat)
    ax.set_xlabel("month" if "time" not in month.coords else "")
    if "time" in month.coords:
        ax.tick_params(axis="x", labelrotation=45)
axes[0][0].set_ylabel("shortfall (share of monthly demand)")
axes[0][0].legend(fontsize=7, loc="upper right")
fig.suptitle(f"Shortfall by month under '{POLICY}'")
fig.tight_layout()
save(fig, "fan_shortfall.png")

# %% [markdown]
# ## Exceedance curve of the total loss, per policy
# How likely a loss above each level is: lower curves are better.

# %%
fig, ax = plt.subplots(figsize=(6.4, 4.2))
for p in policies:
    ex = xr.open_dataset(FILE, engine="h5netcdf", group=f"policies/{p}/exceedance")
    keep = ex["prob"] > 0
    ax.plot(ex["level"][keep] / 1e9, ex["prob"][keep], label=p)
ax.set_yscale("log")
ax.set_xlabel(f"total loss over the horizon (billion {currency})")
ax.set_ylabel("probability the loss is larger")
ax.set_title("Exceedance curve of the total loss")
ax.legend(fontsize=7, title="policy", title_fontsize=7)
fig.tight_layout()
save(fig, "exceedance_loss.png")

# %% [markdown]
# ## Policy comparison: mean benefit against the baseline, with 95 % error bars
# (paired standard errors: every policy ran on the same random paths).

# %%
names, mean, se, bcr, cvar_cut = [], [], [], [], []
base_cvar = float(xr.open_dataset(FILE, engine="h5netcdf", group="policies/baseline/summary")
                  ["loss_total"].sel(stat="cvar99"))
for p in policies[1:]:
    cmp_ = xr.open_dataset(FILE, engine="h5netcdf", group=f"policies/{p}/comparison")
    summ = xr.open_dataset(FILE, engine="h5netcdf", group=f"policies/{p}/summary")
    names.append(p)
    mean.append(float(cmp_["benefit_mean"]) / 1e9)
    se.append(float(cmp_["benefit_se"]) / 1e9)
    bcr.append(float(cmp_["bcr"]))
    cvar_cut.append((base_cvar - float(summ["loss_total"].sel(stat="cvar99"))) / 1e9)
fig, ax = plt.subplots(figsize=(6.4, 4.2))
ax.bar(names, mean, yerr=1.96 * np.array(se), capsize=4, color="tab:green",
       label="mean benefit, 95 % CI")
ax.axhline(0, color="k", lw=0.8)
ax.set_ylabel(f"mean benefit over the horizon (billion {currency})")
ax.set_title("Policies against the baseline (mean loss avoided)")
ax.legend(fontsize=8, loc="upper left")
plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
fig.tight_layout()
save(fig, "policy_comparison.png")

# %% [markdown]
# ## Losses by industry
# Mean output lost over the horizon, per industry and policy (from the stored
# summaries): which industries a disruption hits, and which policy spares them.

# %%
industries = None
loss_mean = []
for p in policies:
    summ = xr.open_dataset(FILE, engine="h5netcdf", group=f"policies/{p}/summary")
    industries = [str(i) for i in summ["industry"].values]
    loss_mean.append(summ["loss"].sel(stat="mean").values / 1e9)
loss_mean = np.array(loss_mean)
order = np.argsort(-loss_mean[0])
fig, ax = plt.subplots(figsize=(max(6.4, 0.9 * len(industries)), 4.4))
w = 0.8 / len(policies)
for k, p in enumerate(policies):
    ax.bar(np.arange(len(industries)) + (k - (len(policies) - 1) / 2) * w, loss_mean[k, order],
           width=w, label=p)
ax.set_xticks(np.arange(len(industries)))
ax.set_xticklabels([industries[i] for i in order], rotation=30, ha="right")
ax.set_ylabel(f"mean loss over the horizon (billion {currency})")
ax.set_title("Losses by industry, per policy")
ax.legend(fontsize=7, title="policy", title_fontsize=7)
fig.tight_layout()
save(fig, "industry_loss.png")

# %% [markdown]
# ## What each policy buys
# Left: the benefit-cost ratio (mean benefit over the policy's stated cost across
# the horizon; none for a policy without a cost). Right: the mean benefit next to
# the cut in the tail, CVaR99 of the baseline minus CVaR99 of the policy (the
# mean of the worst 1 % of paths): a policy can matter more for the bad years
# than on average.

# %%
fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
has = [np.isfinite(b) for b in bcr]
bars = a1.bar([n for n, h in zip(names, has) if h], [b for b, h in zip(bcr, has) if h],
              color="tab:purple")
a1.bar_label(bars, fmt="%.3g", fontsize=8)
a1.axhline(1, color="k", lw=0.8, ls="--", label="B/C = 1 (break even)")
a1.set_yscale("log")
a1.set_ylabel("benefit-cost ratio (log scale)")
a1.set_title("Benefit-cost ratio")
nocost = [n for n, h in zip(names, has) if not h]
if nocost:
    a1.set_xlabel("no cost stated (no ratio): " + ", ".join(nocost), fontsize=8)
a1.legend(fontsize=8, loc="upper right")
a1.set_ylim(top=a1.get_ylim()[1] * 3)
plt.setp(a1.get_xticklabels(), rotation=30, ha="right")
x = np.arange(len(names))
a2.bar(x - 0.2, mean, width=0.4, color="tab:green", label="mean benefit")
a2.bar(x + 0.2, cvar_cut, width=0.4, color="tab:red", label="CVaR99 cut (worst 1 %)")
a2.axhline(0, color="k", lw=0.8)
a2.set_xticks(x)
a2.set_xticklabels(names, rotation=30, ha="right")
a2.set_ylabel(f"billion {currency} over the horizon")
a2.set_title("Mean benefit and tail benefit")
a2.legend(fontsize=8)
fig.tight_layout()
save(fig, "benefit_cost_tail.png")

# %% [markdown]
# ## The worst path
# Its index, ready for `chokepoint replay FILE --path N --policy P`.

# %%
worst = int(pol["loss_total"].idxmax("path"))
print(f"worst path of {POLICY}: {worst}; replay it with: "
      f"chokepoint replay {FILE} --path {worst} --policy {POLICY}")
print(f"charts in {os.path.join(OUTDIR, '')}: {', '.join(written)}")

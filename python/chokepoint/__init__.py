"""Read chokepoint results files (HDF5, docs/output-format.md) as one xarray.Dataset.

    import chokepoint
    ds = chokepoint.open("results.h5")          # every policy, stacked along `policy`
    ds["loss_total"].sel(policy="baseline")     # the baseline group's per-path total loss
    ds["loss"].to_dataframe()                   # index (policy, path, industry)

`open(path, paths=True)` gives one Dataset whose first dimension of every variable is
`policy` (the run's policies in run order, baseline first). Names, for every dataset of a
policy group `policies/<p>/`:

- `<metric>` (policy, path, ...): the per-path metrics (`loss_total`, `loss`, ...); left
  out with `paths=False`;
- `policy_<attr>` (policy): the policy group's attributes (`policy_index`,
  `policy_description`, `policy_changes`, `policy_has_cost`, `policy_annual_cost`);
- `summary_<metric>` (policy, ..., stat) from `summary/`;
- `quantiles_<metric>` (policy, ..., quantile) from `quantiles/`;
- `exceedance_level`, `exceedance_prob` (policy, level) from `exceedance/`; the loss levels
  differ by policy, so `level` is a dimension without coordinate values (point 0..100);
- `month_<dataset>` from `month/` (when the file has `month_stats = 1`), e.g.
  `month_shortfall_mean` (policy, month, material), `month_shortfall_hist` (policy, month,
  material, bin), `month_shortfall_band` (policy, month, material, quantile);
- from `comparison/`: `benefit` (policy, path; left out with `paths=False`), `benefit_mean`,
  `benefit_se`, `benefit_quantiles`, and `p_positive`, `bcr` as `benefit_p_positive`,
  `benefit_bcr`; NaN for the baseline, which has no comparison.

Coordinates: `policy`, `supplier`, `regime`, `material`, `industry`, `month`, `quantile`,
`stat`, `bin`, and `path` (global path index) unless `paths=False`; `time` (month), the first
day of each month, when the scenario states a `start`. Variables keep the datasets' `units`
and `long_name` (and `is_integer`); the root attributes are `ds.attrs`. The CF conventions
are decoded (`decode=False` keeps the stored values): `stockout_month` is NaN where the
stockpile never ran dry, `time` holds dates.

Reading is lazy: nothing but the coordinates is read until values are asked for, and then
only the selected policies and slices (h5py, no dask). Files that are not complete
chokepoint results of a schema this package knows are refused with a ValueError.
"""
from ._reader import SCHEMA_VERSION, info, open, policies

__all__ = ["open", "policies", "info", "SCHEMA_VERSION", "__version__"]
__version__ = "0.1.0"

"""The reader behind chokepoint.open: validation, the variable table and lazy arrays.

One pass over the file with h5py builds a table of variables (name, dims, the dataset path
in each policy group, attributes); every variable becomes a lazily indexed array that reads,
when asked, only the selected policies and slices (the xarray backend protocol:
BackendArray + LazilyIndexedArray, with BASIC indexing, which h5py supports directly).
The file is opened for each read and closed after it, so a Dataset holds no open handle
(and a file rewritten after open, e.g. by `run --force`, is read as it is then).
"""
import os

import h5py
import numpy as np
import xarray as xr
from xarray.backends import BackendArray
from xarray.core import indexing

SCHEMA_VERSION = 2  # the newest layout this reader knows (docs/output-format.md); reads 1 too

# Auxiliary coordinates (schema 2): `time` (month), the dates of the months when the scenario
# states a `start`; read as coordinates, not variables.
_AUX_COORDS = {"time": ("month",)}

# Root attributes that every chokepoint result carries (the ones the reader relies on).
_REQUIRED_ATTRS = ("schema_version", "complete", "paths", "first_path", "horizon_months")
# Attributes HDF5 dimension scales and netCDF-4 add; not copied to xarray.
_INTERNAL_ATTRS = {"CLASS", "NAME", "DIMENSION_LIST", "REFERENCE_LIST", "_Netcdf4Dimid",
                   "_Netcdf4Coordinates", "_nc3_strict"}
# Subgroups of a policy group and the prefix of their variables' names.
_SUBGROUPS = (("summary", "summary_"), ("quantiles", "quantiles_"),
              ("exceedance", "exceedance_"), ("month", "month_"), ("comparison", "benefit_"))
# Dimension scales whose values differ by policy: the dimension gets no coordinate values
# and the scale becomes a variable (exceedance/level -> exceedance_level).
_PER_POLICY_SCALES = {"level"}


def _decode(v):
    """An attribute or scalar as a plain Python value (str for strings)."""
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray):
        if v.dtype.kind in "OS":
            return np.array([_decode(x) for x in v.reshape(-1)], dtype=object).reshape(v.shape)
        return v
    if isinstance(v, np.generic):
        return v.item()
    return v


def _attrs(obj):
    return {k: _decode(v) for k, v in obj.attrs.items() if k not in _INTERNAL_ATTRS}


def _read(dset, key=()):
    """Values of an h5py dataset (strings as str)."""
    if h5py.check_string_dtype(dset.dtype) is not None:
        return np.asarray(dset.asstr()[key], dtype=object)
    return dset[key]


def _open_h5(path):
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise ValueError(f"{path}: not a chokepoint result file (not readable as HDF5: {e})") \
            from None


def _check(f, path):
    """Refuse what is not a complete chokepoint result of a known schema."""
    missing = [a for a in _REQUIRED_ATTRS if a not in f.attrs]
    if missing:
        raise ValueError(f"{path}: not a chokepoint result file (root attribute "
                         f"{', '.join(repr(a) for a in missing)} missing)")
    version = int(f.attrs["schema_version"])
    if version > SCHEMA_VERSION:
        raise ValueError(f"{path}: schema_version {version} is newer than this reader knows "
                         f"({SCHEMA_VERSION}); use a newer chokepoint package")
    if version < 1:
        raise ValueError(f"{path}: not a chokepoint result file (schema_version {version})")
    complete = int(f.attrs["complete"])
    if complete != 1:
        raise ValueError(f"{path}: incomplete chokepoint result (complete = {complete}): the "
                         "run that wrote it did not finish; delete it and run again")
    if "policy" not in f or "policies" not in f:
        raise ValueError(f"{path}: not a chokepoint result file (no 'policy' coordinate or "
                         "'policies' group)")
    names = [str(p) for p in _read(f["policy"])]
    absent = [p for p in names if p not in f["policies"]]
    if not names or absent:
        raise ValueError(f"{path}: not a chokepoint result file (policy groups missing: "
                         f"{absent or 'no policies'})")
    return names


def info(path, check=True):
    """The root attributes of a results file as a dict of Python values.

    With check=False an incomplete file (complete = 0) can be inspected too; any file
    without the root attributes of a chokepoint result is still refused (ValueError).
    """
    path = os.fspath(path)
    with _open_h5(path) as f:
        if check:
            _check(f, path)
        elif "schema_version" not in f.attrs:
            raise ValueError(f"{path}: not a chokepoint result file (root attribute "
                             "'schema_version' missing)")
        return {k: _decode(v) for k, v in f.attrs.items()}


def policies(path):
    """The policy names of a results file, in run order (baseline first)."""
    path = os.fspath(path)
    with _open_h5(path) as f:
        return _check(f, path)


class _Stacked(BackendArray):
    """Datasets of the same shape, one per policy, read as one array (policy first).

    `sources[i]` is the dataset path for policy i, or None where that policy has none
    (the baseline's comparison): those entries read as NaN.
    """

    def __init__(self, filename, sources, shape, dtype):
        self.filename = filename
        self.sources = sources
        self.shape = (len(sources),) + tuple(shape)
        self.dtype = np.dtype(dtype)

    def __getitem__(self, key):
        return indexing.explicit_indexing_adapter(key, self.shape, indexing.IndexingSupport.BASIC,
                                                  self._raw)

    def _raw(self, key):
        first, rest = key[0], tuple(key[1:])
        picked = range(len(self.sources))[first]
        many = isinstance(picked, range)
        with h5py.File(self.filename, "r") as f:
            parts = []
            for i in (picked if many else [picked]):
                src = self.sources[i]
                if src is None:
                    shape = np.empty(self.shape[1:], dtype=bool)[rest].shape
                    parts.append(np.full(shape, np.nan, dtype=self.dtype))
                else:
                    parts.append(np.asarray(_read(f[src], rest), dtype=self.dtype))
        if not many:
            return parts[0]
        if not parts:
            return np.empty((0,) + np.empty(self.shape[1:], dtype=bool)[rest].shape, self.dtype)
        return np.stack(parts)


def _dims(dset):
    """Dimension names of a dataset: the names of its attached dimension scales."""
    names = []
    for i, d in enumerate(dset.dims):
        # The scale's NAME (its dimension name here); asking a dereferenced scale for its path
        # (.name) makes HDF5 search the file and costs milliseconds per dataset.
        keys = d.keys()
        names.append(keys[0] if keys else f"dim_{i}")
    return tuple(names)


def _variable_name(prefix, name):
    if prefix == "":
        return name
    if prefix == "benefit_" and name.startswith("benefit"):
        return name
    return prefix + name


def _scan(f, path, names, paths):
    """The variable table: {name: [dims, sources per policy, shape, dtype, attrs]} in file
    order, and the dimension scales seen: {dim: [dataset paths]}."""
    table, scales, skipped = {}, {}, set()
    for i, p in enumerate(names):
        base = f"policies/{p}"
        for group, prefix in [("", "")] + list(_SUBGROUPS):
            gpath = f"{base}/{group}" if group else base
            if gpath not in f:
                continue
            for dname, obj in f[gpath].items():
                if not isinstance(obj, h5py.Dataset):
                    continue
                full = f"{gpath}/{dname}"
                if dname in _AUX_COORDS:
                    scales.setdefault(dname, []).append(full)
                    continue
                is_scale = obj.attrs.get("CLASS") == b"DIMENSION_SCALE"
                if is_scale:
                    scales.setdefault(dname, []).append(full)
                    if dname not in _PER_POLICY_SCALES:
                        continue
                vname = _variable_name(prefix, dname)
                if vname in skipped:
                    continue
                entry = table.get(vname)
                if entry is None:  # dims once per variable: the policies share the layout
                    dims = (dname,) if is_scale else _dims(obj)
                    if "path" in dims and not paths:
                        skipped.add(vname)
                        continue
                    entry = table[vname] = [dims, [None] * len(names), obj.shape, obj.dtype,
                                            _attrs(obj)]
                elif entry[2] != obj.shape:
                    raise ValueError(f"{path}: {full} has the shape {obj.shape}, the same "
                                     f"variable of another policy {entry[2]}")
                entry[1][i] = full
        for k, v in f[base].attrs.items():
            if k in _INTERNAL_ATTRS:
                continue
            vname = k if k.startswith("policy_") else "policy_" + k
            table.setdefault(vname, [(), [None] * len(names), (), None, {}])[1][i] = _decode(v)
    return table, scales


def _coordinates(f, path, names, scales, paths):
    """Coordinate variables: the root's copy where there is one, else the groups' copies,
    which must all agree (the path coordinate: baseline's, same length everywhere)."""
    coords = {"policy": xr.Variable(("policy",), np.array(names, dtype=object),
                                    _attrs(f["policy"]))}
    for dim, sources in scales.items():
        if dim in _PER_POLICY_SCALES or dim == "policy" or (dim == "path" and not paths):
            continue
        ref = f[dim] if dim in f else f[sources[0]]
        values = _read(ref)
        if dim == "path":
            bad = [s for s in sources if f[s].shape != ref.shape]
        else:
            bad = [s for s in sources if not np.array_equal(_read(f[s]), values)]
        if bad:
            raise ValueError(f"{path}: the coordinate {bad[0]} differs from {ref.name}")
        coords[dim] = xr.Variable(_AUX_COORDS.get(dim, (dim,)), values, _attrs(ref))
    return coords


def _lazy(array):
    """The wrapping xarray's own backends give a lazily read variable."""
    return indexing.MemoryCachedArray(indexing.CopyOnWriteArray(indexing.LazilyIndexedArray(array)))


def open(path, paths=True, decode=True):  # noqa: A001 (chokepoint.open, as the issue names it)
    """One xarray.Dataset of a chokepoint results file: every policy group stacked along a
    first dimension `policy` (see the module docstring for the variable names).

    paths=False leaves out the per-path variables (and the `path` coordinate). decode=True
    applies the CF conventions of schema 2 (xarray.decode_cf): `stockout_month`'s "never"
    (its _FillValue) reads as NaN and the `time` coordinate as dates; decode=False gives the
    stored values as they are (-1 for never, days since the start). Nothing is
    read but coordinates until values are needed. Raises FileNotFoundError for a missing
    file and ValueError naming the file for one that is not a complete chokepoint result
    of a known schema_version.
    """
    path = os.fspath(path)
    with _open_h5(path) as f:
        names = _check(f, path)
        table, scales = _scan(f, path, names, paths)
        coords = _coordinates(f, path, names, scales, paths)
        root_attrs = {k: _decode(v) for k, v in f.attrs.items()}
    data_vars = {}
    for vname, (dims, sources, shape, dtype, attrs) in table.items():
        if dtype is None:  # a policy attribute: values already read
            kinds = {type(v) for v in sources if v is not None}
            if kinds <= {int, bool}:
                values = np.array([np.nan if v is None else v for v in sources],
                                  dtype=float if None in sources else np.int64)
            elif kinds <= {int, float, bool}:
                values = np.array([np.nan if v is None else v for v in sources], dtype=float)
            else:
                values = np.array(["" if v is None else str(v) for v in sources], dtype=object)
            data_vars[vname] = xr.Variable(("policy",), values)
            continue
        if h5py.check_string_dtype(dtype) is not None:
            dtype = np.dtype(object)
        elif None in sources:
            dtype = np.result_type(dtype, np.float64)
        data = _lazy(_Stacked(os.path.abspath(path), sources, shape, dtype))
        data_vars[vname] = xr.Variable(("policy",) + tuple(dims), data, attrs)
    ds = xr.Dataset(data_vars, coords=coords, attrs=root_attrs)
    if int(root_attrs["schema_version"]) == 1 and "stockout_month" in ds:
        ds["stockout_month"].attrs["_FillValue"] = -1.0  # version 1 wrote "never" as -1 too
    if decode:
        ds = xr.decode_cf(ds)
    ds.encoding["source"] = path
    return ds

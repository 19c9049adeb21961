#!/usr/bin/python3
"""Compare two chokepoint results files object by object with h5py.

Every group and dataset must exist in both, with the same attributes, and
every dataset the same type, shape and bytes (object references compared by
the name of what they point to, variable-length strings by value). The
attributes named with --skip (by default created_utc and command_line) are
left out wherever they appear.

Usage: same_results.py A.h5 B.h5 [--skip NAME]...
Exit status 0 when equal, 1 when they differ (each difference printed), 2 on
bad usage.
"""
import sys

import h5py
import numpy as np


def comparable(f, v):
    """A value that compares equal exactly when the stored data are equal."""
    if isinstance(v, h5py.Reference):
        return ("ref", f[v].name if v else None)
    if isinstance(v, (bytes, str)):
        return ("s", v if isinstance(v, bytes) else v.encode())
    if isinstance(v, (np.void, tuple)):
        return ("t", tuple(comparable(f, x) for x in v))
    a = np.asarray(v)
    if a.dtype.kind in "OV":
        return (a.dtype.kind, a.shape, [comparable(f, x) for x in a.ravel()])
    return (a.dtype.str, a.shape, a.tobytes())


def objects(f):
    out = {"/": f}
    f.visititems(lambda name, obj: out.__setitem__("/" + name, obj))
    return out


def differences(path_a, path_b, skip):
    bad = []
    with h5py.File(path_a, "r") as fa, h5py.File(path_b, "r") as fb:
        oa, ob = objects(fa), objects(fb)
        for name in sorted(set(oa) ^ set(ob)):
            bad.append("%s: only in %s" % (name, path_a if name in oa else path_b))
        for name in sorted(set(oa) & set(ob)):
            x, y = oa[name], ob[name]
            ka = {k for k in x.attrs if k not in skip}
            kb = {k for k in y.attrs if k not in skip}
            for k in sorted(ka ^ kb):
                bad.append("%s: attribute %s only in one file" % (name, k))
            for k in sorted(ka & kb):
                if comparable(fa, x.attrs[k]) != comparable(fb, y.attrs[k]):
                    bad.append("%s: attribute %s differs" % (name, k))
            if isinstance(x, h5py.Dataset) != isinstance(y, h5py.Dataset):
                bad.append("%s: a dataset in one file only" % name)
            elif isinstance(x, h5py.Dataset):
                if x.dtype != y.dtype or x.shape != y.shape:
                    bad.append("%s: type or shape differs (%s %s, %s %s)"
                               % (name, x.dtype, x.shape, y.dtype, y.shape))
                elif comparable(fa, x[()]) != comparable(fb, y[()]):
                    bad.append("%s: data differ" % name)
    return bad


def main(argv):
    skip = {"created_utc", "command_line"}
    files = []
    args = iter(argv[1:])
    for a in args:
        if a == "--skip":
            skip.add(next(args, ""))
        else:
            files.append(a)
    if len(files) != 2:
        print(__doc__.strip().splitlines()[-4], file=sys.stderr)
        return 2
    bad = differences(files[0], files[1], skip)
    for line in bad:
        print("differs: " + line)
    if not bad:
        print("same: %s and %s (all but the attributes %s)"
              % (files[0], files[1], ", ".join(sorted(skip))))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

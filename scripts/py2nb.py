#!/usr/bin/python3
"""Write the Jupyter notebook of a percent-format script (cells start with
"# %%", markdown cells with "# %% [markdown]" and their lines with "# ").

usage: py2nb.py SCRIPT.py NOTEBOOK.ipynb

examples/charts.ipynb is made from examples/charts.py this way; the interop
test checks that the notebook's code cells equal the script's.
"""
import json
import re
import sys


def cells(src):
    out = []
    for chunk in re.split(r"^# %%", src, flags=re.M)[1:]:
        head, _, body = chunk.partition("\n")
        body = body.strip("\n")
        if head.startswith(" [markdown]"):
            text = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#")
                             for line in body.split("\n"))
            out.append({"cell_type": "markdown", "metadata": {}, "source": lines(text)})
        else:
            # "# %% tags=["parameters"]": the cell a notebook runner may override
            meta = {"tags": ["parameters"]} if 'tags=["parameters"]' in head else {}
            out.append({"cell_type": "code", "execution_count": None, "metadata": meta,
                        "outputs": [], "source": lines(body)})
    return out


def lines(text):
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + [parts[-1]]


def main():
    src, dst = sys.argv[1:3]
    cs = cells(open(src).read())
    for i, c in enumerate(cs):
        c["id"] = f"cell-{i}"  # nbformat 4.5 wants an id per cell; stable across runs
    nb = {"cells": cs,
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                      "name": "python3"},
                       "language_info": {"name": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    with open(dst, "w") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

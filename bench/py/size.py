"""Installed size of distributions and everything they require (in this venv).

    python size.py DIST [DIST...]   -> {"DIST": {"bytes": N, "dists": K, "version": V}}
"""

import importlib.metadata as md
import json
import os
import re
import sys


def closure(name, seen):
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        return
    try:
        d = md.distribution(name)
    except md.PackageNotFoundError:
        return
    seen[key] = d
    for req in d.requires or []:
        if ";" in req and "extra ==" in req:
            continue
        closure(re.split(r"[ ;<>=!~\[(]", req, maxsplit=1)[0], seen)


out = {}
for name in sys.argv[1:]:
    seen = {}
    closure(name, seen)
    if not seen:
        continue
    total = 0
    for d in seen.values():
        for f in d.files or []:
            p = d.locate_file(f)
            if os.path.isfile(p):
                total += os.path.getsize(p)
    out[name] = {"bytes": total, "dists": len(seen), "version": md.version(name)}
print(json.dumps(out))

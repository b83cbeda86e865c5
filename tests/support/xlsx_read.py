#!/usr/bin/python3
"""xlsx_read.py FILE - dump an XLSX workbook as JSON, read by openpyxl.
xlsx_read.py --text SHEET FILE - print one sheet's cells as lines of text
(cells of a row separated by two spaces, numbers as their format shows
them roughly), for people: make demo shows each report's Summary so.

An independent reader for the tests: what a person's spreadsheet program
would see, not what tally meant to write.  Run it with /usr/bin/python3
(Debian's python3-openpyxl; another python3 on PATH may not see it).

Output (one JSON object on stdout):
  {"created": "2026-11-17T00:00:00",
   "print_titles": {"Sheet": "'Sheet'!$1:$1", ...},
   "sheets": [{"name": ..., "freeze": "A2", "autofilter": "A1:C4",
               "widths": {"A": 12.7, ...},
               "rows": [[cell, ...], ...],
               "comments": {"A1": "the note", ...},
               "charts": [{"type": "bar"|"line"|"pie", "title": ...,
                           "anchor": "A7",
                           "series": [{"name": ref, "cat": ref, "val": ref,
                                       "dash": "dash"|null}]}],
               "colorscales": ["B2:C5", ...],
               "xml": {"pageSetup": {attribute: value, ...},
                       "fitToPage": true, "header": "&L...",
                       "footer": "&L...", "rowBreaks": [10, ...]}}]}
  cell: null for an empty cell, else {"t": openpyxl data_type
  ("s" string, "n" number, "b" boolean, "d" date, "f" formula),
  "v": value (dates as ISO text), "f": number format}, plus "bold": true
  and "top": border style where the cell has them.
  "xml" is read from the sheet's own XML in the zip (not through
  openpyxl), for what printing needs: the page setup, whether the sheet is
  scaled to fit, its header and footer, and its manual page breaks (rows,
  1-based, that end a page).  print_titles are the workbook's defined
  names _xlnm.Print_Titles (rows repeated on every printed page).
"""
import datetime
import json
import re
import sys
import zipfile
from xml.etree import ElementTree

import openpyxl

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/"
           "relationships",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}


def cell_json(c):
    if c.value is None:
        return None
    v = c.value
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        v = v.isoformat()
    out = {"t": c.data_type, "v": v, "f": c.number_format}
    if c.font is not None and c.font.b:
        out["bold"] = True
    if c.border is not None and c.border.top is not None and \
            c.border.top.style:
        out["top"] = c.border.top.style
    return out


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


def dash(s):
    gp = s.graphicalProperties
    if gp is None or gp.line is None:
        return None
    return gp.line.prstDash


def chart_json(ch):
    series = []
    for s in ch.series:
        series.append({"name": ref(s.tx) if s.tx is not None else None,
                       "cat": ref(s.cat), "val": ref(s.val),
                       "dash": dash(s)})
    kind = ch.tagname.replace("Chart", "")
    anchor = None
    marker = getattr(getattr(ch, "anchor", None), "_from", None)
    if marker is not None:
        anchor = openpyxl.utils.get_column_letter(marker.col + 1) + \
            str(marker.row + 1)
    return {"type": kind, "title": title_text(ch.title), "anchor": anchor,
            "series": series}


def sheet_xml(z, path):
    """What printing needs, from a worksheet's XML."""
    root = ElementTree.fromstring(z.read(path))
    out = {"pageSetup": None, "fitToPage": False, "header": None,
           "footer": None, "rowBreaks": []}
    ps = root.find("m:pageSetup", NS)
    if ps is not None:
        out["pageSetup"] = dict(ps.attrib)
    pr = root.find("m:sheetPr/m:pageSetUpPr", NS)
    if pr is not None and pr.get("fitToPage") in ("1", "true"):
        out["fitToPage"] = True
    hf = root.find("m:headerFooter", NS)
    if hf is not None:
        h, f = hf.find("m:oddHeader", NS), hf.find("m:oddFooter", NS)
        out["header"] = h.text if h is not None else None
        out["footer"] = f.text if f is not None else None
    for b in root.findall("m:rowBreaks/m:brk", NS):
        out["rowBreaks"].append(int(b.get("id")))
    return out


def workbook_xml(path):
    """Each sheet's XML path, in order, and the print titles."""
    z = zipfile.ZipFile(path)
    wb = ElementTree.fromstring(z.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target")
               for r in rels.findall("rel:Relationship", NS)}
    sheets = []
    for s in wb.findall("m:sheets/m:sheet", NS):
        rid = s.get("{%s}id" % NS["r"])
        target = targets[rid]
        sheets.append(sheet_xml(z, "xl/" + target.lstrip("/").replace(
            "xl/", "", 1)))
    titles = {}
    for d in wb.findall("m:definedNames/m:definedName", NS):
        if d.get("name") == "_xlnm.Print_Titles":
            m = re.match(r"^'?(.*?)'?!", d.text or "")
            titles[m.group(1).replace("''", "'") if m else d.text] = d.text
    return sheets, titles


def shown(c):
    """A cell's value roughly as a spreadsheet shows it."""
    v = c.value
    f = c.number_format or "General"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if "%" in f:
        return "%.1f%%" % (v * 100)
    m = re.search(r'"([A-Z]{3})"', f)
    if m:
        dec = len(f.split(".")[1].split(" ")[0]) if "." in f else 0
        return "{:,.{}f} {}".format(v, dec, m.group(1))
    return ("%d" % v) if float(v).is_integer() else str(v)


def text(sheet, path):
    wb = openpyxl.load_workbook(path)
    for row in wb[sheet].iter_rows():
        cells = [shown(c) if c.value is not None else "" for c in row]
        while cells and cells[-1] == "":
            cells.pop()
        print("  ".join(cells).rstrip())


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--text":
        text(sys.argv[2], sys.argv[3])
        return
    wb = openpyxl.load_workbook(sys.argv[1])
    xml, titles = workbook_xml(sys.argv[1])
    out = {"created": wb.properties.created.isoformat()
           if wb.properties.created else None, "print_titles": titles,
           "sheets": []}
    for i, ws in enumerate(wb.worksheets):
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
            "comments": {c.coordinate: c.comment.text
                         for row in ws.iter_rows() for c in row
                         if c.comment is not None},
            "charts": [chart_json(c) for c in ws._charts],
            "colorscales": scales,
            "xml": xml[i],
        })
    json.dump(out, sys.stdout, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

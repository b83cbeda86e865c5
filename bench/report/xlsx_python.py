#!/usr/bin/python3
"""xlsx_python.py OUT.xlsx ROWS - the Python baseline for the report
engine's XLSX speed: the same cells as xlsx_limit.c, written by Debian's
python3-xlsxwriter in constant_memory mode.  Run with /usr/bin/python3."""
import datetime
import sys

import xlsxwriter

MODELS = ["qwen-image-edit", "gemini-flash-image", "flux-dev", "flux-schnell",
          "sdxl-turbo", "imagen-3", "dall-e-3", "ideogram-2"]
HEADER = ["id", "email", "model", "kind", "started_at", "duration_ms",
          "credits", "cost", "ok", "ratio"]


def main():
    path, rows = sys.argv[1], int(sys.argv[2])
    wb = xlsxwriter.Workbook(path, {"constant_memory": True})
    wb.set_properties({"created": datetime.datetime(2026, 11, 1)})
    bold = wb.add_format({"bold": True})
    dt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    money = wb.add_format({"num_format": '#,##0.00 "USD"'})
    pct = wb.add_format({"num_format": "0.0%"})
    ws = wb.add_worksheet("rows")
    for c, h in enumerate(HEADER):
        ws.write_string(0, c, h, bold)
    ws.freeze_panes(1, 0)
    base = 46327.0  # 2026-11-01 as an Excel serial, as the C limit uses
    for g in range(1, rows + 1):
        ws.write_number(g, 0, g)
        ws.write_string(g, 1, "user%d@example.com" % g)
        ws.write_string(g, 2, MODELS[g % 8])
        ws.write_string(g, 3, "edit" if g % 4 == 0 else "generate")
        ws.write_number(g, 4, base + g / 86400.0, dt)
        ws.write_number(g, 5, (g * 7919) % 60000)
        ws.write_number(g, 6, g % 10)
        ws.write_number(g, 7, (g % 1000) / 100.0, money)
        ws.write_boolean(g, 8, g % 10 != 0)
        ws.write_number(g, 9, (g % 997) / 997.0, pct)
    ws.autofilter(0, 0, rows, 9)
    ws.set_column(0, 9, 16)
    wb.close()


if __name__ == "__main__":
    main()

#!/bin/sh
# t_report_pdf.sh - the weekly report on paper: the workbook of
# tests/fixtures/reports/weekly_basic.sql (2026-W13 in Europe/Berlin)
# printed to PDF by LibreOffice, as an admin who clicks "Export as PDF"
# gets it, has at most 2 pages per sheet, and no chart crosses a page.
#
# How a page is told to belong to a sheet: every sheet's page header
# (lib/report/summary.c) begins "Weekly report: <sheet name>" (&A, filled
# in by the spreadsheet program on every page), so the first words at the
# top of each PDF page name its sheet.
#
# How a chart cut by a page is caught: a chart prints its title at its top
# and its legend (its series' names) at its bottom.  pdftotext -bbox gives
# every word with its page and position; for every chart of the workbook
# (titles and series names read back from the XLSX; a pie's legend names
# its slices), its title must be on a page of its sheet and its legend's
# words must appear on that same page, below the title.  A chart that straddles a page break has its top
# on one page and its bottom on the next: its legend would not be under
# its title.  (Series names also appear in the table's header row, but that
# is above the chart, so it does not count.)
#
# LibreOffice gets a HOME and a profile of its own (it writes both), and
# only a generous safety timeout: on a busy machine it may take a minute.
# Run by tests/run.sh (TALLY_BINDIR, TALLY_DATABASE_URL set).
set -u
: "${TALLY_BINDIR:?run under tests/run.sh}"
: "${TALLY_DATABASE_URL:?run under tests/run.sh}"
TOP=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d /tmp/t_report_pdf.XXXXXX)
trap 'rm -rf "$T"' EXIT

for tool in soffice pdftotext pdfinfo; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "not ok - $tool is missing: make deps installs" \
		    "libreoffice-calc-nogui and poppler-utils"
		exit 1
	fi
done

fail() { echo "not ok - $*"; exit 1; }

psql -X -q -v ON_ERROR_STOP=1 "$TALLY_DATABASE_URL" \
    -f "$TOP/tests/fixtures/reports/weekly_basic.sql" >/dev/null ||
	fail "loading the fixture"
"$TALLY_BINDIR/tally-weekly-report" --week 2026-W13 --tz Europe/Berlin \
    --as-of 2026-03-30T06:00:00Z --format xlsx --out "$T/out" >/dev/null ||
	fail "tally-weekly-report"
echo "ok - the weekly report of the fixture is written"

mkdir -p "$T/home" "$T/pdf"
HOME="$T/home" timeout 900 soffice \
    "-env:UserInstallation=file://$T/profile" --headless --norestore \
    --convert-to pdf --outdir "$T/pdf" "$T/out/weekly-2026-W13.xlsx" \
    >"$T/soffice.log" 2>&1
PDF="$T/pdf/weekly-2026-W13.pdf"
if [ ! -s "$PDF" ]; then
	cat "$T/soffice.log"
	fail "LibreOffice wrote no PDF"
fi
echo "ok - LibreOffice printed it: $(pdfinfo "$PDF" | sed -n 's/^Pages: *//p') pages"

/usr/bin/python3 "$TOP/tests/support/xlsx_read.py" \
    "$T/out/weekly-2026-W13.xlsx" >"$T/book.json" || fail "reading the XLSX"
pdftotext -bbox "$PDF" "$T/words.html" || fail "pdftotext"

/usr/bin/python3 - "$T/book.json" "$T/words.html" <<'EOF'
import json
import re
import sys
from xml.etree import ElementTree

book = json.load(open(sys.argv[1]))
html = open(sys.argv[2], encoding="utf-8").read()
# pdftotext -bbox writes XHTML; read it without the namespace
html = re.sub(r'\sxmlns="[^"]+"', "", html, count=1)
doc = ElementTree.fromstring(html)
pages = []
for page in doc.iter("page"):
    words = [(float(w.get("yMin")), float(w.get("xMin")), w.text or "",
              float(w.get("yMax")) - float(w.get("yMin")))
             for w in page.iter("word")]
    words.sort()
    pages.append(words)

fails = 0


def check(ok, what):
    global fails
    print(("ok - " if ok else "not ok - ") + what)
    if not ok:
        fails += 1


# which sheet each page belongs to: its header's first line
names = [s["name"] for s in book["sheets"]]
owner = []
for words in pages:
    top = " ".join(w[2] for w in words if abs(w[0] - words[0][0]) < 1.0)
    found = None
    for n in sorted(names, key=len, reverse=True):
        if top.startswith("Weekly report: " + n):
            found = n
            break
    owner.append(found)
check(all(o is not None for o in owner),
      "every page's header names its sheet: %s" % owner)
for n in names:
    count = owner.count(n)
    check(1 <= count <= 2, "sheet %s prints on %d page(s), at most 2"
          % (n, count))


def cell_texts(sheet, ref):
    """The texts of a reference: 'Pool status'!$C$1 or ...!$A$2:$A$4."""
    m = re.match(r"^.*!\$([A-Z]+)\$(\d+)(?::\$[A-Z]+\$(\d+))?$", ref)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    first = int(m.group(2))
    last = int(m.group(3)) if m.group(3) else first
    return [str(sheet["rows"][r - 1][col - 1]["v"])
            for r in range(first, last + 1)]


charts = 0
for sheet in book["sheets"]:
    for ch in sheet["charts"]:
        charts += 1
        title = ch["title"].split()
        # a pie's legend names its slices, the others' their series
        if ch["type"] == "pie":
            legend = cell_texts(sheet, ch["series"][0]["cat"])
        else:
            legend = [cell_texts(sheet, s["name"])[0] for s in ch["series"]]
        # the title's words may also be a column's header or a series'
        # name: the title is the match in the largest type
        where, size = None, 0.0
        for i, words in enumerate(pages):
            if owner[i] != sheet["name"]:
                continue
            texts = [w[2] for w in words]
            for k in range(len(texts) - len(title) + 1):
                if texts[k:k + len(title)] == title and words[k][3] > size:
                    where, size = (i, words[k][0]), words[k][3]
        check(where is not None, "chart \"%s\" is printed on a page of %s"
              % (ch["title"], sheet["name"]))
        if where is None:
            continue
        page, y = where
        below = [w[2] for w in pages[page] if w[0] > y + 1.0]
        missing = [n for n in legend
                   if any(part not in below for part in n.split())]
        check(not missing, "chart \"%s\" is whole on page %d: its legend "
              "%s is under its title%s" % (ch["title"], page + 1, legend,
              "" if not missing else " (missing %s)" % missing))
check(charts >= 2, "the weekly report has charts (%d)" % charts)
sys.exit(1 if fails else 0)
EOF

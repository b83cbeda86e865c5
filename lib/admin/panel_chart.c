/*
 * panel_chart.c - small charts drawn by the server as inline SVG
 * (panel.h).  No style attributes (the Content-Security-Policy allows no
 * inline style): colours are presentation attributes (fill=), which the
 * stylesheet's classes may override, so a chart reads even without it.
 * Every number is also in the chart's text, for readers and printouts.
 */
#include "admin/panel.h"

#define W 320			/* the viewBox's width */
#define LABEL_W 118		/* the labels' column */
#define BAR_W 150		/* the longest bar */
#define ROW_H 22

static long long
scale(long long v, long long max, long long width)
{
	if (v <= 0 || max <= 0)
		return 0;
	if (v >= max)
		return width;
	/* a value above zero gets at least a sliver */
	return v * width / max > 0 ? v * width / max : 1;
}

void
panel_chart_bars(struct strbuf *out, const char *title,
    const char *const *labels, const long long *values, size_t n)
{
	long long max = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (values[i] > max)
			max = values[i];
	html_f(out, "<svg class=\"chart bars\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %z\" role=\"img\" aria-label=\"%s\">"
	    "<title>%s</title>\n", W, n * ROW_H + 4, title, title);
	for (i = 0; i < n; i++) {
		size_t y = i * ROW_H + 2;

		html_f(out, "<text x=\"0\" y=\"%z\" dominant-baseline=\"middle\">"
		    "%s</text>", y + ROW_H / 2, labels[i]);
		html_f(out, "<rect class=\"track\" x=\"%d\" y=\"%z\" width=\"%d\" "
		    "height=\"%d\" fill=\"#f3f5f8\"/>", LABEL_W, y + 3, BAR_W,
		    ROW_H - 6);
		html_f(out, "<rect class=\"bar\" x=\"%d\" y=\"%z\" width=\"%l\" "
		    "height=\"%d\" fill=\"#1f5fbf\"/>", LABEL_W, y + 3,
		    scale(values[i], max, BAR_W), ROW_H - 6);
		html_f(out, "<text x=\"%d\" y=\"%z\" dominant-baseline=\"middle\">"
		    "%l</text>\n", LABEL_W + BAR_W + 6, y + ROW_H / 2, values[i]);
	}
	html_f(out, "</svg>\n");
}

void
panel_chart_gauge(struct strbuf *out, const char *title, long long value,
    long long threshold, long long max)
{
	long long top = max;
	long long mark;
	bool under = value < threshold;

	/* the scale holds the value and twice the threshold */
	if (top < value)
		top = value;
	if (top < threshold * 2)
		top = threshold * 2;
	if (top < 1)
		top = 1;
	mark = LABEL_W + scale(threshold, top, BAR_W);
	html_f(out, "<svg class=\"chart gauge\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d 52\" role=\"img\" aria-label=\"%s\">"
	    "<title>%s</title>\n", W, title, title);
	html_f(out, "<text x=\"0\" y=\"16\" dominant-baseline=\"middle\">%l"
	    "</text>", value);
	html_f(out, "<rect class=\"track\" x=\"%d\" y=\"6\" width=\"%d\" "
	    "height=\"20\" fill=\"#f3f5f8\"/>", LABEL_W, BAR_W);
	html_f(out, "<rect class=\"bar%s\" x=\"%d\" y=\"6\" width=\"%l\" "
	    "height=\"20\" fill=\"%s\"/>", under ? " over" : "", LABEL_W,
	    scale(value, top, BAR_W), under ? "#b26a00" : "#1f5fbf");
	html_f(out, "<line class=\"mark\" x1=\"%l\" y1=\"2\" x2=\"%l\" y2=\"30\" "
	    "stroke=\"#b3261e\" stroke-width=\"2\"/>", mark, mark);
	html_f(out, "<text x=\"%d\" y=\"44\" dominant-baseline=\"middle\">alert "
	    "below %l (of %l)</text>\n</svg>\n", LABEL_W, threshold, top);
}

/*
 * panel_dash.c - the dashboard (GET /admin).
 */
#include "admin/internal.h"
#include "admin/panel.h"

void
panel_dashboard(struct admin_req *r)
{
	struct strbuf out = STRBUF_INIT;

	panel_page_begin(r, &out, "dashboard", "Dashboard");
	html_f(&out, "<p>Welcome, %s.</p>\n", r->who.name);
	panel_page_end(r, &out);
	panel_send(r, 200, &out);
}

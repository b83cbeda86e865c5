/*
 * faces.c - the faces tally-admin serves (admin.h).  A face is a route
 * table, an authentication step and a failure answer; the first route of
 * any face that matches a request answers it.  The browser panel is two
 * route tables under /admin sharing one authentication and failure page
 * (panel.h): core's (login, dashboard, static files) and the pages'.
 */
#include <stddef.h>

#include "admin/admin.h"
#include "admin/api.h"
#include "admin/panel.h"

const struct admin_face *const admin_faces[] = {
	&admin_api_face,
	&admin_panel_face,
	&admin_panel_pages_face,
	NULL
};

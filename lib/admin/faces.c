/*
 * faces.c - the faces tally-admin serves (admin.h).  A face is a route
 * table, an authentication step and a failure answer; the first route of
 * any face that matches a request answers it.  The browser panel joins
 * here with its own line.
 */
#include <stddef.h>

#include "admin/admin.h"
#include "admin/api.h"

const struct admin_face *const admin_faces[] = {
	&admin_api_face,
	NULL
};

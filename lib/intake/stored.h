/*
 * stored.h - a delivery as raw_events keeps it, read back to be sent
 * again exactly (`tallyctl send --replay`).
 */
#ifndef TALLY_INTAKE_STORED_H
#define TALLY_INTAKE_STORED_H

#include "base/strbuf.h"
#include "pg/db.h"

/*
 * The stored event key of source: its body byte for byte into body
 * (replacing what it held), and its content type and webhook-id header
 * (NULL when it had none; the caller frees both).  TALLY_ENOTFOUND when
 * there is no such event, TALLY_EDB when raw_events cannot be read (both
 * logged).
 */
int stored_event_load(struct db *db, const char *source, const char *key,
    struct strbuf *body, char **content_type, char **webhook_id);

#endif

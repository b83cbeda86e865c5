/*
 * confirm.h - ask Midtrans and Xendit about a notification before
 * tally-allocate acts on it.
 *
 * What is trusted, and why.  A Midtrans notification is signed over
 * order_id, status_code and gross_amount only: its transaction_status,
 * fraud_status, currency and refund amounts can be changed without
 * breaking the signature (a pending notification relabelled "settlement",
 * a settlement replayed as "refund").  A Xendit callback carries a fixed
 * token and nothing in its body is signed.  So for these schemes the
 * notification only says "ask about this transaction": tally asks the
 * provider's status API over HTTPS with the account's own key, and the
 * provider's answer decides the status, the amounts and the currency
 * (sql/042_provider_checks.sql: tally_confirmed_payload()).  What the
 * answer does not carry stays the notification's: the sku and the buyer's
 * e-mail, which decide only what the money buys and for whom - and the
 * price check (lib/books/allocate.h) still compares that product with the
 * money the provider confirmed.
 *
 *   Midtrans  GET {status_url}/v2/{order_id}/status
 *   Xendit    GET {status_url}/v2/invoices/{id}
 * with HTTP basic authentication, the key from api_key_file as the user
 * name and an empty password ([source NAME] status_url, api_key_file).
 *
 * Outcomes, kept per notification in provider_checks:
 *   ANSWERED     the provider's JSON about that very transaction: the
 *                notification is processed as the answer says; where the
 *                two disagree (more than a "pending" the provider has
 *                settled since) tally-allocate opens a NOTIFICATION_MISMATCH
 *                case with both sides
 *   UNKNOWN      the provider does not know it (Midtrans: "status_code"
 *                "404" in a 200 answer; Xendit: HTTP 404), or answered
 *                about another transaction: the event fails (and is asked
 *                about again if it is retried), and it is a case too
 *   UNREACHABLE  no connection, a timeout, a 5xx or 429, the key refused
 *                (401/403, logged as an error), an answer that is not a
 *                JSON object or longer than CONFIRM_MAX_ANSWER: the event
 *                stays NEW and is asked about again 1, 2, 4, 8, 16, 32 and
 *                then every 60 minutes after each failure in a row.  After
 *                a source's first unreachable answer in a run, its other
 *                notifications wait for the next run (one probe per run,
 *                never a timeout per event).
 * Notifications of a source without status_url and api_key_file are never
 * acted on: they stay NEW, and each run says so in a warning.
 */
#ifndef TALLY_CONFIRM_H
#define TALLY_CONFIRM_H

#include "base/config.h"
#include "pg/db.h"

/* Time for one whole exchange with a provider. */
#define CONFIRM_TIMEOUT_MS 10000
/* The most of an answer kept; a status answer is a few hundred bytes. */
#define CONFIRM_MAX_ANSWER (64 * 1024)
/* Notifications asked about per round. */
#define CONFIRM_BATCH 500

struct confirm_stats {
	long long asked;	/* exchanges made */
	long long answered;
	long long unknown;
	long long unreachable;
	long long mismatches;	/* answers that contradict the notification */
};

/*
 * Ask about every notification that is due (see above), on db: each answer
 * is recorded by a statement of its own (autocommit), or in the caller's
 * transaction when one is open (a dry run).  cfg NULL: no source has a
 * status API.  Returns 0 (an unreachable provider is not a failure of the
 * run), TALLY_ECONFIG when a source's api_key_file cannot be read (logged
 * with file:line), or a database error (logged).
 */
int confirm_run(struct db *db, const struct config *cfg,
    struct confirm_stats *st);

#endif

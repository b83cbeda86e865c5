/*
 * ctl_send.h - tallyctl send: deliver a webhook the way its provider would.
 *
 *   tallyctl send SOURCE FILE [--url URL] [--content-type TYPE] [--id ID]
 *                             [--timestamp UNIX] [-c CONFIG]
 *   tallyctl send SOURCE --replay EVENT_KEY [--url URL] [-c CONFIG]
 *
 * FILE ("-" for stdin) is signed with the source's scheme and first secret
 * (Standard Webhooks and Stripe: HMAC headers at the current time or
 * --timestamp; Midtrans: signature_key set in the body; Xendit: the
 * x-callback-token header) and POSTed with libcurl to URL (default
 * http://LISTEN/webhooks/SOURCE from the configuration).  --replay resends
 * a stored raw event's exact body (as tally_admin), with its original
 * webhook-id, so the receiver must call it a duplicate.
 *
 * Prints "HTTP <status> <body>" on stdout; never prints a secret.  Exit 0
 * on 2xx, 65 on 4xx, 75 on 5xx, 69 when the receiver cannot be reached,
 * 64 usage, 78 configuration.
 */
#ifndef TALLY_CTL_SEND_H
#define TALLY_CTL_SEND_H

/* argv[0] is "send"; returns a process exit status. */
int ctl_send(int argc, char **argv);

#endif

/*
 * tally-reconcile - payments, orders and fulfilments against the provider's
 * settlement and the image service's balances; typed, aged exception cases
 * kept from run to run (lib/books/reconcile.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "pg/db.h"
#include "base/err.h"
#include "base/log.h"
#include "books/reconcile.h"
#include "base/version.h"

static const char usage_text[] =
    "usage: tally-reconcile [--from DATE] [--to DATE] [--settlement FILE\n"
    "                       [--format stripe|NAME]] [--balances FILE]\n"
    "                       [--as-of TIME] [--out DIR] [--dry-run] [-c FILE]\n"
    "\n"
    "Compare payments, orders, fulfilments, seat counters and credit ledgers\n"
    "with each other, with a provider's settlement file and with the image\n"
    "service's balances; keep every problem as a case (tallyctl case list).\n"
    "\n"
    "  --from DATE        first day of the period (YYYY-MM-DD, in tz)\n"
    "  --to DATE          the day after the last one (excluded); default:\n"
    "                     the %d days up to the as-of day\n"
    "  --settlement FILE  a settlement export to load (CSV, columns by name;\n"
    "                     a file, not a pipe: it is checksummed, then loaded)\n"
    "  --format F         stripe (default) or a [settlement NAME] section\n"
    "  --balances FILE    the image service's balances, CSV user,balance\n"
    "  --as-of TIME       the instant the run describes (default: now)\n"
    "  -o, --out DIR      output directory (default: report_dir)\n"
    "  -n, --dry-run      find and show what would change; record nothing\n"
    "  -c, --config FILE  configuration file\n"
    "  -h, --help, -V, --version\n"
    "\n"
    "Exit: 0 nothing open at or above reconcile_severity, 1 something is,\n"
    "64 usage, 65 bad settlement or balances file (nothing recorded),\n"
    "69 database unavailable, 73 cannot write output, 75 another run holds\n"
    "the lock, 78 configuration.\n";

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "settlement", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'F' },
		{ "balances", required_argument, NULL, 'b' },
		{ "as-of", required_argument, NULL, 'a' },
		{ "out", required_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct reconcile_opts o;
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	struct db *db = NULL;
	const char *config_path = NULL;
	int ch, rc;

	log_init("tally-reconcile");
	memset(&o, 0, sizeof(o));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:nc:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			o.from = optarg;
			break;
		case 't':
			o.to = optarg;
			break;
		case 's':
			o.settlement = optarg;
			break;
		case 'F':
			o.format = optarg;
			break;
		case 'b':
			o.balances = optarg;
			break;
		case 'a':
			o.as_of = optarg;
			break;
		case 'o':
			o.out_dir = optarg;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'c':
			config_path = optarg;
			break;
		case 'h':
			printf(usage_text, RECONCILE_DEFAULT_DAYS);
			return 0;
		case 'V':
			puts("tally-reconcile " TALLY_VERSION);
			return 0;
		case ':':
			log_err("option %s needs a value", argv[optind - 1]);
			return tally_exit_code(TALLY_EUSAGE);
		default:
			log_err("unknown option %s (try --help)", argv[optind - 1]);
			return tally_exit_code(TALLY_EUSAGE);
		}
	}
	if (optind < argc) {
		log_err("unexpected argument \"%s\" (try --help)", argv[optind]);
		return tally_exit_code(TALLY_EUSAGE);
	}
	/* config_load() starts from the defaults itself */
	if ((rc = config_load(&cfg, config_path, &err)) != 0)
		log_err("%s", strbuf_str(&err));
	else if ((rc = db_connect(&db, "tally-reconcile", "tally_batch")) == 0)
		rc = reconcile_run(db, &cfg, &o, NULL);
	if (fflush(stdout) != 0 && (rc == 0 || rc == TALLY_EPROBLEMS)) {
		log_err("cannot write to stdout");
		rc = TALLY_EIO;
	}
	db_free(db);
	config_free(&cfg);
	strbuf_release(&err);
	return tally_exit_code(rc);
}

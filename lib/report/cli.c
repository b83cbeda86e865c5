#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/config.h"
#include "pg/db.h"
#include "base/err.h"
#include "base/log.h"
#include "base/period.h"
#include "report/engine.h"
#include "report/cli.h"
#include "base/strbuf.h"
#include "base/version.h"

enum {
	OPT_AS_OF = 256,
	OPT_WEEK,
	OPT_MONTH,
	OPT_FROM,
	OPT_TO,
	OPT_DAYS,
	OPT_TZ,
	OPT_FORMAT
};

struct cli_args {
	const char *config;
	const char *out;
	const char *as_of;
	const char *tz;
	const char *format;
	struct period_request rq;
	bool dry_run;
};

static void
usage(const struct report_cli *def, FILE *fp)
{
	fprintf(fp,
	    "usage: %s [options]\n"
	    "%s\n\n"
	    "  -c, --config FILE  configuration file\n"
	    "  -o, --out DIR      output directory (default: report_dir, %s)\n"
	    "      --as-of TIME   the instant described (default: now), e.g.\n"
	    "                     2026-11-17, 2026-11-17T10:00, 2026-11-17T09:00Z\n"
	    "      --week W       an ISO week, 2026-W47\n"
	    "      --month M      a month, 2026-11\n"
	    "      --from D --to D  a range of days, both included\n"
	    "%s"
	    "      --tz ZONE      report time zone (default: tz, TALLY_TZ, UTC)\n"
	    "      --format F     xlsx, csv or both (default both)\n"
	    "  -n, --dry-run      run the queries, print row counts, write nothing\n"
	    "  -h, --help         this text\n"
	    "  -V, --version      the version\n"
	    "Default period: the last complete %s before the as-of instant.\n",
	    def->program, def->summary, REPORT_DEFAULT_DIR,
	    def->allow_days ?
	    "      --days N       the N days ending at the as-of instant\n" : "",
	    def->default_period == PERIOD_DAY ? "day" :
	    def->default_period == PERIOD_WEEK ? "ISO week" : "month");
}

static int
parse_days(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 3660)
		return -1;
	*out = (int)v;
	return 0;
}

/* 0, 1 when --help or --version was answered, -1 on a usage error. */
static int
parse_args(const struct report_cli *def, int argc, char **argv,
    struct cli_args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "out", required_argument, NULL, 'o' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "as-of", required_argument, NULL, OPT_AS_OF },
		{ "week", required_argument, NULL, OPT_WEEK },
		{ "month", required_argument, NULL, OPT_MONTH },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "days", required_argument, NULL, OPT_DAYS },
		{ "tz", required_argument, NULL, OPT_TZ },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(a, 0, sizeof(*a));
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":c:o:nhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->config = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'n':
			a->dry_run = true;
			break;
		case 'h':
			usage(def, stdout);
			return 1;
		case 'V':
			printf("%s %s\n", def->program, TALLY_VERSION);
			return 1;
		case OPT_AS_OF:
			a->as_of = optarg;
			break;
		case OPT_WEEK:
			a->rq.week = optarg;
			break;
		case OPT_MONTH:
			a->rq.month = optarg;
			break;
		case OPT_FROM:
			a->rq.from = optarg;
			break;
		case OPT_TO:
			a->rq.to = optarg;
			break;
		case OPT_DAYS:
			if (!def->allow_days) {
				log_err("--days is not an option of %s",
				    def->program);
				return -1;
			}
			if (parse_days(optarg, &a->rq.days) != 0) {
				log_err("--days wants a whole number of days, "
				    "1 to 3660");
				return -1;
			}
			break;
		case OPT_TZ:
			a->tz = optarg;
			break;
		case OPT_FORMAT:
			a->format = optarg;
			break;
		case ':':
			log_err("option %s needs a value", argv[optind - 1]);
			return -1;
		default:
			log_err("unknown option %s", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		log_err("unexpected argument \"%s\"", argv[optind]);
		return -1;
	}
	return 0;
}

static int
parse_format(const char *f, unsigned *out)
{
	if (f == NULL || strcmp(f, "both") == 0)
		*out = REPORT_XLSX | REPORT_CSV;
	else if (strcmp(f, "xlsx") == 0)
		*out = REPORT_XLSX;
	else if (strcmp(f, "csv") == 0)
		*out = REPORT_CSV;
	else
		return -1;
	return 0;
}

static void
print_result(const struct report_result *res, bool dry_run)
{
	unsigned long long total = 0;

	for (size_t i = 0; i < res->nsheets; i++) {
		total += res->sheets[i].rows;
		if (dry_run)
			printf("%s\t%llu\n", res->sheets[i].name,
			    res->sheets[i].rows);
	}
	if (!dry_run) {
		for (size_t i = 0; i < res->nfiles; i++)
			printf("%s/%s\n", res->out_dir, res->files[i].name);
		if (res->manifest != NULL)
			printf("%s/%s\n", res->out_dir, res->manifest);
	}
	log_info("%zu sheets, %llu rows%s", res->nsheets, total,
	    dry_run ? " (dry run: nothing written)" : "");
}

int
report_cli_main(const struct report_cli *def, int argc, char **argv)
{
	struct cli_args a;
	struct config cfg;
	struct strbuf err = STRBUF_INIT;
	struct report_opts o;
	struct report_result res;
	struct period period;
	struct db *db = NULL;
	const char *tz;
	char *settings = NULL;
	time_t as_of;
	unsigned formats;
	int rc;

	log_init(argv[0]);
	report_result_init(&res);
	config_init(&cfg);
	rc = parse_args(def, argc, argv, &a);
	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "try '%s --help'\n", def->program);
		config_free(&cfg);
		return rc > 0 ? 0 : tally_exit_code(TALLY_EUSAGE);
	}
	if (parse_format(a.format, &formats) != 0) {
		log_err("--format is xlsx, csv or both");
		rc = TALLY_EUSAGE;
		goto done;
	}
	config_free(&cfg);
	if ((rc = config_load(&cfg, a.config, &err)) != 0) {
		log_err("%s", strbuf_str(&err));
		goto done;
	}
	tz = a.tz != NULL ? a.tz : cfg.tz != NULL && cfg.tz[0] != '\0' ?
	    cfg.tz : "UTC";
	if (!period_tz_valid(tz)) {
		log_err("unknown time zone \"%s\" (an IANA name such as "
		    "Europe/Berlin, or UTC)", tz);
		rc = a.tz != NULL ? TALLY_EUSAGE : TALLY_ECONFIG;
		goto done;
	}
	if (a.as_of == NULL)
		as_of = time(NULL);
	else if (period_parse_instant(a.as_of, tz, &as_of) != 0) {
		log_err("bad --as-of \"%s\" (want 2026-11-17, "
		    "2026-11-17T10:00 or 2026-11-17T09:00:00Z)", a.as_of);
		rc = TALLY_EUSAGE;
		goto done;
	}
	if ((rc = period_resolve(&period, &a.rq, def->default_period, as_of, tz,
	    &err)) != 0) {
		log_err("%s", strbuf_str(&err));
		goto done;
	}
	if (period.end > as_of)
		log_warning("period %s is not over at the as-of instant: its "
		    "figures are partial", period.label);
	if ((rc = db_connect(&db, def->program, def->db_role)) != 0)
		goto done;
	settings = report_settings_json(&cfg);
	memset(&o, 0, sizeof(o));
	o.period = &period;
	o.as_of = as_of;
	o.tz = tz;
	o.settings_json = settings;
	o.out_dir = a.out != NULL ? a.out : cfg.report_dir;
	o.formats = formats;
	o.dry_run = a.dry_run;
	o.program = def->program;
	rc = report_run(db, def->report, &o, &res);
	if (rc != 0)
		log_err("%s %s: %s", def->report, period.label,
		    strbuf_str(&res.err));
	else
		print_result(&res, a.dry_run);
done:
	if (fflush(stdout) != 0 && rc == 0)
		rc = TALLY_EIO;
	db_free(db);
	free(settings);
	report_result_release(&res);
	config_free(&cfg);
	strbuf_release(&err);
	return tally_exit_code(rc);
}

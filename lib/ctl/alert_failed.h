/*
 * alert_failed.h - tallyctl alert-failed [-c FILE] [--repeat MINUTES] UNIT.
 */
#ifndef TALLY_CTL_ALERT_FAILED_H
#define TALLY_CTL_ALERT_FAILED_H

/*
 * Alert that systemd unit UNIT failed: POST a JSON message to tally.conf's
 * alert_url (or only log it when alert_url is empty).  The failure details
 * come from systemd's MONITOR_* environment and the program's last
 * job_runs row.  A unit already alerted within --repeat minutes (default
 * 60, 0: always) is logged but not posted again.
 */
int ctl_alert_failed(int argc, char **argv);

#endif

-- 080_reconcile_run_phases.sql - a reconcile run that matches on a hot
-- standby (lib/books/reconcile.c) commits its loads on the primary first,
-- so the standby can replay them, and keeps its cases in a second
-- transaction: its reconcile_runs row is RUNNING in between, and FAILED
-- when the second transaction did not commit.  A run on one connection
-- still goes straight to OK or PROBLEMS.
alter table reconcile_runs drop constraint reconcile_runs_status_check;
alter table reconcile_runs add constraint reconcile_runs_status_check
	check (status in ('RUNNING', 'OK', 'PROBLEMS', 'FAILED'));

-- 073_user_status.sql - an admin's status for a user of the image service
-- (ops_user_status, `tallyctl user status`, PUT /api/admin/users/{id}/status,
-- the panel's user page).
--
-- tally records the status and shows it; it does not enforce it.  The image
-- service decides what a suspended user may do (it reads the status, or is
-- told); tally-allocate still grants a suspended user's purchased credits.
-- Why and when it last changed are kept beside it, and every change is in
-- the audit log (user.status) with the row before and after.
alter table app_users
	add column status text not null default 'active'
		check (status in ('active', 'suspended')),
	add column status_reason text,
	add column status_changed_at timestamptz;

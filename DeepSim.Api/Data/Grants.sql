-- Re-applied on every migrate run: what the application role and the platform role may do. {app_role} and
-- {platform_role} are the quoted role names.
-- Nothing here lets it own, alter or bypass anything.
-- Start from nothing: default privileges set up by whoever created the database may have granted more.
revoke all on all tables in schema public from {app_role};
revoke all on all sequences in schema public from {app_role};
grant usage on schema public to {app_role};
grant select, insert, update, delete on memberships, invitations, refresh_tokens, api_keys, flowsheets,
    flowsheet_versions, mail_outbox to {app_role};
-- Audit and events are append-only for the application.
grant select, insert on audit_log, event_outbox to {app_role};
-- Tenants: a tenant may create itself (sign-up) and rename itself; plan and status change on the platform path only.
grant select on tenants to {app_role};
grant insert (id, name, slug) on tenants to {app_role};
grant update (name, updated_at) on tenants to {app_role};
-- Users: the operator flag is never writable by the application. Password hashes are write-only for it: it reads every
-- column but password_hash, and checks a password through auth_password_parameters() and auth_password_matches()
-- (migration 0260). A column added to users later is unreadable until it is listed here.
grant select (id, email, email_normalized, display_name, is_platform_operator, failed_sign_ins, locked_until, created_at, email_verified_at)
    on users to {app_role};
grant insert (id, email, email_normalized, display_name, password_hash, created_at, email_verified_at) on users to {app_role};
grant update (display_name, password_hash, failed_sign_ins, locked_until, email_verified_at) on users to {app_role};
grant usage, select on all sequences in schema public to {app_role};
revoke all on schema_migrations from {app_role};
revoke execute on all functions in schema public from public;
grant execute on all functions in schema public to {app_role};
-- The purge itself takes any tenant: only the checked wrappers (operator, or the tenant's own owner) may call it.
revoke execute on function tenant_purge(uuid, text, uuid, text) from {app_role};
-- Runs (migration 0100): plans are read-only; the queue's cross-tenant moves go through its SECURITY DEFINER functions.
grant select on plans to {app_role};
grant select, insert on run_events to {app_role};
grant select, insert, update on runs, studies, run_tenant_state, usage_monthly to {app_role};
-- Billing (migration 0200): prices are read-only; the ledger and usage reports are append-and-mark, never deleted
-- by the application; the tenant's plan moves only through billing_sync_plan().
grant select on plan_prices to {app_role};
grant select, insert, update on subscriptions, invoices to {app_role};
grant select, insert on invoice_lines, ledger_entries to {app_role};
grant select, insert, update on usage_reports to {app_role};
grant select, insert on provider_events to {app_role};
-- Password reset (migration 0220): tokens are written and spent by the application, never deleted by it.
grant select, insert, update on password_resets to {app_role};
-- Stripe (migration 0201): a webhook event is recorded first (dedupe), its outcome written once it was applied.
grant update (outcome) on provider_events to {app_role};
-- Signing keys (migration 0230): nothing on the table itself (the revoke above covers it); public keys, the signing
-- keys and rotation only through its SECURITY DEFINER functions.
revoke all on signing_keys from {app_role};
-- Sign-up requests and email verifications (migration 0250): written and spent by the application, never deleted by it.
-- A pending sign-up's password hash is write-only (migration 0251): it moves into the account through signup_create_account().
grant select, insert, update on email_verifications to {app_role};
grant select (id, email_normalized, token_hash, tenant_name, slug, display_name, existing_user_id, created_at, expires_at, used_at)
    on signup_requests to {app_role};
grant insert on signup_requests to {app_role};
grant update (used_at) on signup_requests to {app_role};
-- Webhooks (migration 0270): the endpoint's secret may be written (create, rotate) but never read back; the dispatcher
-- gets it through webhook_deliveries_claim(). Attempts are an append-only log; the dispatch checkpoint is its functions'.
grant select (id, tenant_id, url, events, enabled, created_by, created_at, updated_at, secret_rotated_at) on webhook_endpoints to {app_role};
grant insert, delete on webhook_endpoints to {app_role};
grant update (url, events, enabled, updated_at, secret, secret_rotated_at) on webhook_endpoints to {app_role};
grant select, insert, update on webhook_deliveries to {app_role};
grant select, insert on webhook_attempts to {app_role};
revoke all on webhook_dispatch_state from {app_role};
-- Platform roles (migration 0290): readable (sign-in asks whether a person is an analyst), written only by the platform
-- functions. Platform sign-outs (migration 0280): nothing on the table; only its auth_platform_* functions.
grant select on platform_roles to {app_role};
revoke all on platform_signouts from {app_role};
-- The outbox relays' positions and leases (migration 0300): only through their SECURITY DEFINER functions.
revoke all on outbox_relays from {app_role};
-- Operator powers: only the platform role (the login of the Api's operator endpoints, a connection string of its own)
-- executes the platform functions; it has no table, sequence or other function rights at all. Each function still
-- re-checks that its caller is an operator. platform_is_operator() stays with the application (authentication asks it).
revoke all on all tables in schema public from {platform_role};
revoke all on all sequences in schema public from {platform_role};
revoke execute on all functions in schema public from {platform_role};
grant usage on schema public to {platform_role};
revoke execute on function
    platform_bootstrap_operator(uuid, text, text, text, text),
    platform_require_operator(uuid),
    platform_list_tenants(uuid, text, text, text, integer, integer),
    platform_get_tenant(uuid, uuid),
    platform_create_tenant(uuid, uuid, text, text, text, text),
    platform_update_tenant(uuid, uuid, text, text, text),
    platform_set_tenant_status(uuid, uuid, text, text),
    platform_delete_tenant(uuid, uuid, text),
    platform_read_audit(uuid, uuid, integer, integer),
    platform_list_analysts(uuid),
    platform_grant_analyst(uuid, text, text),
    platform_revoke_analyst(uuid, uuid, text)
    from {app_role};
grant execute on function
    platform_bootstrap_operator(uuid, text, text, text, text),
    platform_list_tenants(uuid, text, text, text, integer, integer),
    platform_get_tenant(uuid, uuid),
    platform_create_tenant(uuid, uuid, text, text, text, text),
    platform_update_tenant(uuid, uuid, text, text, text),
    platform_set_tenant_status(uuid, uuid, text, text),
    platform_delete_tenant(uuid, uuid, text),
    platform_read_audit(uuid, uuid, integer, integer),
    platform_list_analysts(uuid),
    platform_grant_analyst(uuid, text, text),
    platform_revoke_analyst(uuid, uuid, text)
    to {platform_role};

-- Password reset (issue 15, item 6). Users are global, so reset tokens are too: no tenant column, like users.
-- Only the token's SHA-256 is kept; a token is single-use and short-lived, and a new one replaces older ones.
create table password_resets (
    id          uuid primary key,
    user_id     uuid not null references users (id) on delete cascade,
    token_hash  bytea not null unique,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null,
    used_at     timestamptz
);
create index password_resets_user on password_resets (user_id, created_at desc);

-- Mail that belongs to no tenant (a reset is asked before any tenant is chosen). The application role cannot insert
-- a row without a tenant (row-level security); this function can, for this one purpose.
alter table mail_outbox alter column tenant_id drop not null;
create function mail_enqueue_platform(p_to text, p_subject text, p_body text) returns void
language sql volatile security definer set search_path = public, pg_temp as
$$ insert into mail_outbox (id, tenant_id, to_address, subject, body) values (gen_random_uuid(), null, p_to, p_subject, p_body) $$;

-- After a reset every session of the user ends, in every tenant.
create function auth_revoke_user_sessions(p_user uuid) returns integer
language plpgsql volatile security definer set search_path = public, pg_temp as
$$
declare n integer;
begin
    update refresh_tokens set revoked_at = now() where user_id = p_user and revoked_at is null;
    get diagnostics n = row_count;
    return n;
end
$$;

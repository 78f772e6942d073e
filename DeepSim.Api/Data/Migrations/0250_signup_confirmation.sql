-- Sign-up by confirmation and email verification (issue 15, item 6).
--
-- Sign-up no longer creates anything at once: it stores a request and mails a single-use link, and says the same
-- whether or not the address has an account. Confirming the link creates the workspace (and the account, when new),
-- which also proves the address. Like users and password resets, requests belong to no tenant yet.
create table signup_requests (
    id                uuid primary key,
    email_normalized  text not null,
    -- Null for a notice ("someone tried to sign up with your address") that carries no link.
    token_hash        bytea unique,
    tenant_name       text not null,
    slug              text not null,
    display_name      text not null,
    -- The new account's password hash; null when the address already has an account (it keeps its own password).
    password_hash     text,
    existing_user_id  uuid references users (id) on delete cascade,
    created_at        timestamptz not null default now(),
    expires_at        timestamptz not null,
    used_at           timestamptz
);
create index signup_requests_email on signup_requests (email_normalized, created_at desc);

-- Tenants are visible to the application role only inside themselves (row-level security); sign-up asks whether a
-- workspace address is free before any tenant exists, and learns nothing else.
create function tenant_slug_taken(p_slug text) returns boolean
language sql stable security definer set search_path = public, pg_temp as
$$ select exists (select 1 from tenants where slug = p_slug) $$;

-- When the address was last proven to belong to the user (a confirmed sign-up, an accepted invitation, a password reset
-- or a verification link). Accounts from before this migration start unverified.
alter table users add column email_verified_at timestamptz;

create table email_verifications (
    id          uuid primary key,
    user_id     uuid not null references users (id) on delete cascade,
    token_hash  bytea not null unique,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null,
    used_at     timestamptz
);
create index email_verifications_user on email_verifications (user_id, created_at desc);

-- Once a mail is out, the copy kept in the outbox loses its secrets: every single-use token (invitation, password
-- reset, sign-up, verification) in the body, and so in its links, is replaced. Only their hashes stay in the database.
create function mail_redact_tokens(p_body text) returns text
language sql immutable parallel safe as
$$ select regexp_replace(p_body, '\m(inv|dsr|dss|dsv)_[0-9a-f_]{32,}', '[token removed after sending]', 'g') $$;

create or replace function mail_outbox_sent(p_id uuid) returns void
language sql volatile security definer set search_path = public, pg_temp as
$$ update mail_outbox set sent_at = now(), locked_until = null, last_error = null, body = mail_redact_tokens(body) where id = p_id $$;

update mail_outbox set body = mail_redact_tokens(body) where sent_at is not null;

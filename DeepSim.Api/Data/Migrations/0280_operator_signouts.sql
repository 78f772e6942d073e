-- Operator sign-outs. A tenant user's token belongs to a session family in refresh_tokens, so authentication sees a
-- sign-out in PostgreSQL even while Redis cannot answer; an operator's token has no such family, and until this
-- migration its sign-out lived only in Redis, which meant every operator request was refused whenever a Redis call ran
-- over its budget (a stalled thread pool was enough). The sign-out is now recorded here too, and authentication asks
-- the database whether the token is still good. Only the two functions below touch the table (Grants.sql gives the
-- application role no table rights on it).
create table operator_signouts (
    token_id    text primary key check (length(token_id) between 1 and 200),
    user_id     uuid not null references users (id) on delete cascade,
    expires_at  timestamptz not null
);
create index operator_signouts_expires_at on operator_signouts (expires_at);

-- Whether p_user is an operator and the access token p_token (its jti) was not signed out.
create function auth_operator_token_valid(p_user uuid, p_token text) returns boolean
language sql stable security definer set search_path = public, pg_temp as
$$
    select exists (select 1 from users where id = p_user and is_platform_operator)
       and not exists (select 1 from operator_signouts where token_id = p_token)
$$;

-- Records an operator's sign-out until the token would have expired anyway, and forgets the ones past that.
create function auth_operator_sign_out(p_user uuid, p_token text, p_expires_at timestamptz) returns void
language plpgsql volatile security definer set search_path = public, pg_temp as
$$
begin
    perform platform_require_operator(p_user);
    delete from operator_signouts where expires_at < now();
    insert into operator_signouts (token_id, user_id, expires_at) values (p_token, p_user, p_expires_at)
    on conflict (token_id) do nothing;
end
$$;

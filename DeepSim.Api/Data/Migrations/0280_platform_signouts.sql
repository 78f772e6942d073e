-- Platform sign-outs (operators, and analysts from migration 0290). A tenant user's token belongs to a session family
-- in refresh_tokens, so authentication sees a sign-out in PostgreSQL even while Redis cannot answer; a platform token
-- (kind operator or analyst) has no such family, and until this migration an operator's sign-out lived only in Redis,
-- which meant every operator request was refused whenever a Redis call ran over its budget (a stalled thread pool was
-- enough). The sign-out is now recorded here too, and authentication asks the database whether the token is still
-- good. Only the functions below touch the table (Grants.sql gives the application role no table rights on it).
create table platform_signouts (
    token_id    text primary key check (length(token_id) between 1 and 200),
    user_id     uuid not null references users (id) on delete cascade,
    kind        text not null check (kind in ('operator', 'analyst')),
    expires_at  timestamptz not null
);
create index platform_signouts_expires_at on platform_signouts (expires_at);

-- Whether p_user holds the platform kind p_kind now (0290 adds analysts).
create function auth_platform_kind_held(p_user uuid, p_kind text) returns boolean
language sql stable security definer set search_path = public, pg_temp as
$$
    select case p_kind
        when 'operator' then exists (select 1 from users where id = p_user and is_platform_operator)
        else false
    end
$$;

-- Whether p_user holds p_kind and the access token p_token (its jti) was not signed out.
create function auth_platform_token_valid(p_user uuid, p_kind text, p_token text) returns boolean
language sql stable security definer set search_path = public, pg_temp as
$$
    select auth_platform_kind_held(p_user, p_kind)
       and not exists (select 1 from platform_signouts where token_id = p_token)
$$;

-- Records a platform token's sign-out until it would have expired anyway, and forgets the ones past that.
create function auth_platform_sign_out(p_user uuid, p_kind text, p_token text, p_expires_at timestamptz) returns void
language plpgsql volatile security definer set search_path = public, pg_temp as
$$
begin
    if not auth_platform_kind_held(p_user, p_kind) then
        raise exception 'caller does not hold the platform kind %', p_kind using errcode = '42501';
    end if;
    delete from platform_signouts where expires_at < now();
    insert into platform_signouts (token_id, user_id, kind, expires_at) values (p_token, p_user, p_kind, p_expires_at)
    on conflict (token_id) do nothing;
end
$$;

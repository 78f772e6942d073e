-- Access-token signing keys (ADR 0009): ES256 (ECDSA P-256), a ring of keys named by kid. Platform-wide, no tenant.
-- The application role gets no privilege on the table (Grants.sql revokes everything and grants nothing here): it sees
-- public keys through signing_keys_published(), the private key of a key that still signs through
-- signing_keys_signers(), and adds keys only through signing_keys_rotate(). Times come from the Api's clock (p_now),
-- so a whole rotation timeline can be driven by a test clock.
create table signing_keys (
    kid           text primary key,
    algorithm     text not null default 'ES256' check (algorithm = 'ES256'),
    -- Public point, base64url (the JWK's x and y).
    public_x      text not null,
    public_y      text not null,
    -- PKCS#8 DER of the private key.
    private_key   bytea not null,
    created_at    timestamptz not null,
    -- Published from created_at; signs from activated_at (created_at + publish delay, except the very first key).
    activated_at  timestamptz not null,
    -- Stops signing when its successor activates; leaves the JWKS at expires_at (retired_at + token lifetime + skew).
    retired_at    timestamptz,
    expires_at    timestamptz,
    check (activated_at >= created_at),
    check ((retired_at is null) = (expires_at is null)),
    check (expires_at is null or expires_at >= retired_at)
);
revoke all on signing_keys from public;

-- The one way keys are added and removed, serialized across Api instances by a transaction-level advisory lock.
-- Deletes keys whose tokens have all expired. Then: no unretired key -> this key becomes the first, signing at once (no
-- token and no validator cache can exist yet); else, when the newest key is older than p_interval (or p_force), this
-- key is published now, signs from p_now + p_publish_delay, and every earlier key retires at that moment.
-- Returns true when p_kid was stored. The caller generates the key pair; a false return leaves it unused.
create function signing_keys_rotate(p_kid text, p_x text, p_y text, p_private bytea, p_now timestamptz,
    p_interval interval, p_publish_delay interval, p_retention interval, p_force boolean)
returns boolean
language plpgsql volatile security definer set search_path = public, pg_temp as
$$
declare
    newest timestamptz;
    activates timestamptz;
begin
    if p_publish_delay < interval '0' or p_retention < interval '0' or p_interval <= interval '0' then
        raise exception 'signing_keys_rotate: negative delay or retention, or non-positive interval';
    end if;
    perform pg_advisory_xact_lock(hashtext('deepsim.signing_keys'));
    delete from signing_keys where expires_at <= p_now;
    select max(created_at) into newest from signing_keys where retired_at is null;
    if newest is null then
        activates := p_now;
    elsif p_force or newest + p_interval <= p_now then
        activates := p_now + p_publish_delay;
    else
        return false;
    end if;
    insert into signing_keys (kid, public_x, public_y, private_key, created_at, activated_at)
    values (p_kid, p_x, p_y, p_private, p_now, activates);
    update signing_keys set retired_at = activates, expires_at = activates + p_retention
    where kid <> p_kid and retired_at is null;
    return true;
end
$$;

-- What the JWKS publishes: public parts only, every key whose tokens may still be valid at p_now.
create function signing_keys_published(p_now timestamptz)
returns table (kid text, x text, y text, created_at timestamptz, activated_at timestamptz, retired_at timestamptz, expires_at timestamptz)
language sql stable security definer set search_path = public, pg_temp as
$$
    select k.kid, k.public_x, k.public_y, k.created_at, k.activated_at, k.retired_at, k.expires_at
    from signing_keys k where k.expires_at is null or k.expires_at > p_now
    order by k.activated_at
$$;

-- Private keys of the keys that sign now or will sign next (not yet retired at p_now): never a retired key's.
create function signing_keys_signers(p_now timestamptz)
returns table (kid text, private_key bytea, activated_at timestamptz, retired_at timestamptz)
language sql stable security definer set search_path = public, pg_temp as
$$
    select k.kid, k.private_key, k.activated_at, k.retired_at
    from signing_keys k where k.retired_at is null or k.retired_at > p_now
    order by k.activated_at
$$;

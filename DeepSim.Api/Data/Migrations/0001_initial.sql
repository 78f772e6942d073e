-- DeepSim Api schema v1. Runs as the database owner. Tenant isolation lives here, in row-level security.

-- The tenant of the current transaction; NULL (so no tenant row matches) when no context was set.
create function current_tenant_id() returns uuid
language sql stable parallel safe as
$$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;

-- True only when running as the database owner: inside the SECURITY DEFINER platform functions below
-- (and migrations). The application role owns nothing and is not a member of the owner, so it never is.
create function is_platform_path() returns boolean
language sql stable parallel safe as
$$ select current_user = (select pg_get_userbyid(d.datdba) from pg_database d where d.datname = current_database()) $$;

create table tenants (
    id          uuid primary key,
    name        text not null check (length(name) between 1 and 200),
    slug        text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$'),
    plan        text not null default 'free' check (plan in ('free', 'team', 'enterprise')),
    status      text not null default 'active' check (status in ('active', 'suspended')),
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);

-- Users are global: one person may belong to several tenants; what they may see is decided by memberships.
create table users (
    id                    uuid primary key,
    email                 text not null,
    email_normalized      text not null unique,
    display_name          text not null,
    password_hash         text not null,
    is_platform_operator  boolean not null default false,
    failed_sign_ins       integer not null default 0,
    locked_until          timestamptz,
    created_at            timestamptz not null default now()
);

create table memberships (
    tenant_id   uuid not null references tenants (id),
    user_id     uuid not null references users (id),
    role        text not null check (role in ('viewer', 'engineer', 'admin', 'owner')),
    created_at  timestamptz not null default now(),
    primary key (tenant_id, user_id)
);
create index memberships_user on memberships (user_id);

create table invitations (
    id                uuid primary key,
    tenant_id         uuid not null references tenants (id),
    email_normalized  text not null,
    role              text not null check (role in ('viewer', 'engineer', 'admin', 'owner')),
    token_hash        bytea not null,
    invited_by        uuid not null,
    expires_at        timestamptz not null,
    accepted_at       timestamptz,
    revoked_at        timestamptz,
    created_at        timestamptz not null default now(),
    unique (tenant_id, token_hash)
);
create unique index invitations_one_open_per_email on invitations (tenant_id, email_normalized)
    where accepted_at is null and revoked_at is null;

create table refresh_tokens (
    id          uuid primary key,
    tenant_id   uuid not null references tenants (id),
    user_id     uuid not null references users (id),
    family_id   uuid not null,
    token_hash  bytea not null,
    expires_at  timestamptz not null,
    used_at     timestamptz,
    revoked_at  timestamptz,
    created_at  timestamptz not null default now(),
    unique (tenant_id, token_hash)
);
create index refresh_tokens_family on refresh_tokens (tenant_id, family_id);

create table api_keys (
    id            uuid primary key,
    tenant_id     uuid not null references tenants (id),
    name          text not null check (length(name) between 1 and 100),
    key_hash      bytea not null,
    permissions   text[] not null,
    created_by    uuid not null,
    created_at    timestamptz not null default now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    unique (tenant_id, name)
);

create table flowsheets (
    id           uuid primary key,
    tenant_id    uuid not null references tenants (id),
    name         text not null check (length(name) between 1 and 200),
    description  text not null default '',
    content      jsonb not null,
    version      integer not null check (version >= 1),
    created_by   uuid not null,
    updated_by   uuid not null,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    unique (tenant_id, name),
    unique (tenant_id, id)
);

create table flowsheet_versions (
    tenant_id     uuid not null,
    flowsheet_id  uuid not null,
    version       integer not null,
    name          text not null,
    description   text not null,
    content       jsonb not null,
    created_by    uuid not null,
    created_at    timestamptz not null default now(),
    primary key (tenant_id, flowsheet_id, version),
    -- A version can only belong to a flowsheet of the same tenant.
    foreign key (tenant_id, flowsheet_id) references flowsheets (tenant_id, id)
);

-- tenant_id is NULL only for platform-level entries (a purged tenant, an unknown sign-in); those are
-- visible on the platform path alone.
create table audit_log (
    id                bigint generated always as identity primary key,
    tenant_id         uuid,
    actor_kind        text not null check (actor_kind in ('user', 'api_key', 'operator', 'anonymous', 'system')),
    actor_user_id     uuid,
    actor_api_key_id  uuid,
    action            text not null,
    target            text,
    outcome           text not null check (outcome in ('success', 'failure', 'denied')),
    status_code       integer,
    client_address    text,
    details           jsonb,
    occurred_at       timestamptz not null default now()
);
create index audit_log_tenant_time on audit_log (tenant_id, occurred_at desc);

create table event_outbox (
    seq          bigint generated always as identity primary key,
    id           uuid not null unique,
    tenant_id    uuid,
    type         text not null,
    payload      jsonb not null,
    occurred_at  timestamptz not null default now()
);
create index event_outbox_tenant on event_outbox (tenant_id, seq);

-- Mail waiting to be sent, consumed by a mail sender the way the event relay consumes event_outbox.
create table mail_outbox (
    id          uuid primary key,
    tenant_id   uuid not null references tenants (id),
    to_address  text not null,
    subject     text not null,
    body        text not null,
    created_at  timestamptz not null default now(),
    sent_at     timestamptz
);

-- Row-level security, enabled and forced, on every tenant-owned table.
do $$
declare t text;
begin
    foreach t in array array['memberships', 'invitations', 'refresh_tokens', 'api_keys', 'flowsheets',
                             'flowsheet_versions', 'audit_log', 'event_outbox', 'mail_outbox'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant_isolation on %I using (tenant_id = current_tenant_id() or is_platform_path()) '
                       'with check (tenant_id = current_tenant_id() or is_platform_path())', t);
    end loop;
end $$;

-- The tenant row itself is visible to its own tenant context only.
alter table tenants enable row level security;
alter table tenants force row level security;
create policy tenant_isolation on tenants
    using (id = current_tenant_id() or is_platform_path())
    with check (id = current_tenant_id() or is_platform_path());

-- ---------------------------------------------------------------------------------------------
-- Explicit paths that cross tenants. Each is SECURITY DEFINER (runs as the owner, so
-- is_platform_path() holds), checks who is calling, and writes its own audit row where it changes state.
-- ---------------------------------------------------------------------------------------------

-- Sign-in needs a user's tenants before any tenant is chosen.
create function auth_user_memberships(p_user_id uuid)
returns table (tenant_id uuid, tenant_name text, tenant_slug text, tenant_status text, plan text, role text)
language sql stable security definer set search_path = public, pg_temp as
$$
    select t.id, t.name, t.slug, t.status, t.plan, m.role
    from memberships m join tenants t on t.id = m.tenant_id
    where m.user_id = p_user_id
    order by t.name
$$;

-- The one-time setup of the first platform operator: does nothing once any operator exists.
create function platform_bootstrap_operator(p_id uuid, p_email text, p_email_normalized text,
                                            p_display_name text, p_password_hash text)
returns boolean
language plpgsql security definer set search_path = public, pg_temp as
$$
begin
    perform pg_advisory_xact_lock(hashtext('deepsim.platform_bootstrap_operator'));
    if exists (select 1 from users where is_platform_operator) then
        return false;
    end if;
    if exists (select 1 from users where email_normalized = p_email_normalized) then
        update users set is_platform_operator = true where email_normalized = p_email_normalized;
    else
        insert into users (id, email, email_normalized, display_name, password_hash, is_platform_operator)
        values (p_id, p_email, p_email_normalized, p_display_name, p_password_hash, true);
    end if;
    insert into audit_log (tenant_id, actor_kind, action, target, outcome, details)
    values (null, 'system', 'platform.operator.bootstrap', p_email_normalized, 'success', null);
    return true;
end
$$;

create function platform_require_operator(p_actor uuid) returns void
language plpgsql stable security definer set search_path = public, pg_temp as
$$
begin
    if p_actor is null or not exists (select 1 from users where id = p_actor and is_platform_operator) then
        raise exception 'caller is not a platform operator' using errcode = '42501';
    end if;
end
$$;

create function platform_is_operator(p_user uuid) returns boolean
language sql stable security definer set search_path = public, pg_temp as
$$ select exists (select 1 from users where id = p_user and is_platform_operator) $$;

create function platform_list_tenants(p_actor uuid, p_status text, p_plan text, p_search text,
                                      p_limit integer, p_offset integer)
returns table (id uuid, name text, slug text, plan text, status text, created_at timestamptz,
               member_count bigint, total_count bigint)
language plpgsql stable security definer set search_path = public, pg_temp as
$$
begin
    perform platform_require_operator(p_actor);
    return query
        select t.id, t.name, t.slug, t.plan, t.status, t.created_at,
               (select count(*) from memberships m where m.tenant_id = t.id),
               count(*) over ()
        from tenants t
        where (p_status is null or t.status = p_status)
          and (p_plan is null or t.plan = p_plan)
          and (p_search is null or t.name ilike '%' || p_search || '%' or t.slug ilike '%' || p_search || '%')
        order by t.created_at, t.id
        limit p_limit offset p_offset;
end
$$;

create function platform_get_tenant(p_actor uuid, p_tenant uuid)
returns table (id uuid, name text, slug text, plan text, status text, created_at timestamptz,
               member_count bigint, total_count bigint)
language plpgsql stable security definer set search_path = public, pg_temp as
$$
begin
    perform platform_require_operator(p_actor);
    return query
        select t.id, t.name, t.slug, t.plan, t.status, t.created_at,
               (select count(*) from memberships m where m.tenant_id = t.id), 1::bigint
        from tenants t where t.id = p_tenant;
end
$$;

create function platform_create_tenant(p_actor uuid, p_id uuid, p_name text, p_slug text, p_plan text,
                                       p_client text)
returns void
language plpgsql security definer set search_path = public, pg_temp as
$$
begin
    perform platform_require_operator(p_actor);
    insert into tenants (id, name, slug, plan) values (p_id, p_name, p_slug, p_plan);
    insert into audit_log (tenant_id, actor_kind, actor_user_id, action, target, outcome, client_address, details)
    values (p_id, 'operator', p_actor, 'platform.tenant.created', p_id::text, 'success', p_client,
            jsonb_build_object('slug', p_slug, 'plan', p_plan));
    insert into event_outbox (id, tenant_id, type, payload)
    values (gen_random_uuid(), p_id, 'tenant.created', jsonb_build_object('tenantId', p_id, 'plan', p_plan));
end
$$;

create function platform_update_tenant(p_actor uuid, p_tenant uuid, p_name text, p_plan text, p_client text)
returns boolean
language plpgsql security definer set search_path = public, pg_temp as
$$
begin
    perform platform_require_operator(p_actor);
    update tenants set name = coalesce(p_name, name), plan = coalesce(p_plan, plan), updated_at = now()
    where id = p_tenant;
    if not found then return false; end if;
    insert into audit_log (tenant_id, actor_kind, actor_user_id, action, target, outcome, client_address, details)
    values (p_tenant, 'operator', p_actor, 'platform.tenant.updated', p_tenant::text, 'success', p_client,
            jsonb_strip_nulls(jsonb_build_object('name', p_name, 'plan', p_plan)));
    insert into event_outbox (id, tenant_id, type, payload)
    values (gen_random_uuid(), p_tenant, 'tenant.updated',
            jsonb_strip_nulls(jsonb_build_object('tenantId', p_tenant, 'plan', p_plan)));
    return true;
end
$$;

create function platform_set_tenant_status(p_actor uuid, p_tenant uuid, p_status text, p_client text)
returns boolean
language plpgsql security definer set search_path = public, pg_temp as
$$
begin
    perform platform_require_operator(p_actor);
    update tenants set status = p_status, updated_at = now() where id = p_tenant;
    if not found then return false; end if;
    insert into audit_log (tenant_id, actor_kind, actor_user_id, action, target, outcome, client_address)
    values (p_tenant, 'operator', p_actor, 'platform.tenant.' || p_status, p_tenant::text, 'success', p_client);
    insert into event_outbox (id, tenant_id, type, payload)
    values (gen_random_uuid(), p_tenant, 'tenant.' || p_status, jsonb_build_object('tenantId', p_tenant));
    return true;
end
$$;

-- Purges every row of a tenant (and users left with no tenant), returning the count per table.
create function tenant_purge(p_tenant uuid, p_actor_kind text, p_actor uuid, p_client text) returns jsonb
language plpgsql security definer set search_path = public, pg_temp as
$$
declare
    counts jsonb := '{}';
    n bigint;
    t text;
    member_ids uuid[];
begin
    if not exists (select 1 from tenants where id = p_tenant) then
        return null;
    end if;
    select coalesce(array_agg(user_id), '{}') into member_ids from memberships where tenant_id = p_tenant;
    -- Children before parents (foreign keys).
    foreach t in array array['audit_log', 'event_outbox', 'mail_outbox', 'flowsheet_versions', 'flowsheets',
                             'api_keys', 'refresh_tokens', 'invitations', 'memberships'] loop
        execute format('delete from %I where tenant_id = $1', t) using p_tenant;
        get diagnostics n = row_count;
        counts := counts || jsonb_build_object(t, n);
    end loop;
    delete from tenants where id = p_tenant;
    get diagnostics n = row_count;
    counts := counts || jsonb_build_object('tenants', n);
    delete from users u
    where u.id = any (member_ids) and not u.is_platform_operator
      and not exists (select 1 from memberships m where m.user_id = u.id);
    get diagnostics n = row_count;
    counts := counts || jsonb_build_object('users', n);
    insert into audit_log (tenant_id, actor_kind, actor_user_id, action, target, outcome, client_address, details)
    values (null, p_actor_kind, p_actor, 'tenant.purged', p_tenant::text, 'success', p_client, counts);
    insert into event_outbox (id, tenant_id, type, payload)
    values (gen_random_uuid(), null, 'tenant.deleted', jsonb_build_object('tenantId', p_tenant, 'counts', counts));
    return counts;
end
$$;

create function platform_delete_tenant(p_actor uuid, p_tenant uuid, p_client text) returns jsonb
language plpgsql security definer set search_path = public, pg_temp as
$$
begin
    perform platform_require_operator(p_actor);
    return tenant_purge(p_tenant, 'operator', p_actor, p_client);
end
$$;

-- A tenant owner deleting their own tenant: only the tenant of the current context, only by its owner.
create function tenant_delete_self(p_actor uuid, p_client text) returns jsonb
language plpgsql security definer set search_path = public, pg_temp as
$$
declare tenant uuid := current_tenant_id();
begin
    if tenant is null then
        raise exception 'no tenant context' using errcode = '42501';
    end if;
    if not exists (select 1 from memberships where tenant_id = tenant and user_id = p_actor and role = 'owner') then
        raise exception 'caller is not an owner of the tenant' using errcode = '42501';
    end if;
    return tenant_purge(tenant, 'user', p_actor, p_client);
end
$$;

create function platform_read_audit(p_actor uuid, p_tenant uuid, p_limit integer, p_offset integer)
returns setof audit_log
language plpgsql stable security definer set search_path = public, pg_temp as
$$
begin
    perform platform_require_operator(p_actor);
    return query
        select * from audit_log a
        where p_tenant is null or a.tenant_id = p_tenant
        order by a.occurred_at desc, a.id desc
        limit p_limit offset p_offset;
end
$$;

-- Audit rows that belong to no tenant yet (an operator's request, a failed anonymous sign-in).
create function audit_write_platform(p_actor_kind text, p_actor uuid, p_tenant uuid, p_action text, p_target text,
                                     p_outcome text, p_status integer, p_client text, p_details jsonb)
returns void
language plpgsql security definer set search_path = public, pg_temp as
$$
begin
    if p_actor_kind = 'operator' then
        perform platform_require_operator(p_actor);
    elsif p_actor_kind <> 'anonymous' or p_tenant is not null then
        raise exception 'only operators and anonymous callers write platform audit rows' using errcode = '42501';
    end if;
    insert into audit_log (tenant_id, actor_kind, actor_user_id, action, target, outcome, status_code, client_address, details)
    values (p_tenant, p_actor_kind, p_actor, p_action, p_target, p_outcome, p_status, p_client, p_details);
end
$$;

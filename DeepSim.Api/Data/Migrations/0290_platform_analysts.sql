-- Platform analysts (issue 13): a platform role granted and revoked by operators, and the tenant state that revenue
-- analytics reads from the events. Runs as the database owner.

-- Platform roles held by a person beside their tenant memberships. Operators stay users.is_platform_operator; analysts
-- are rows here. Written only by the platform_* functions below (the application role may read, never write).
create table platform_roles (
    user_id     uuid not null references users (id) on delete cascade,
    role        text not null check (role in ('analyst')),
    granted_by  uuid references users (id) on delete set null,
    granted_at  timestamptz not null default now(),
    primary key (user_id, role)
);

-- Analysts act (sign out, edit their profile) and are audited as themselves.
alter table audit_log drop constraint audit_log_actor_kind_check;
alter table audit_log add constraint audit_log_actor_kind_check
    check (actor_kind in ('user', 'api_key', 'operator', 'analyst', 'anonymous', 'system'));

-- 0280's question, now for analysts too: authentication asks it on every platform request.
create or replace function auth_platform_kind_held(p_user uuid, p_kind text) returns boolean
language sql stable security definer set search_path = public, pg_temp as
$$
    select case p_kind
        when 'operator' then exists (select 1 from users where id = p_user and is_platform_operator)
        when 'analyst' then exists (select 1 from platform_roles where user_id = p_user and role = 'analyst')
        else false
    end
$$;

-- Platform audit rows: an analyst writes them as themselves (their sign-out, a refused operator call).
create or replace function audit_write_platform(p_actor_kind text, p_actor uuid, p_tenant uuid, p_action text, p_target text,
                                                p_outcome text, p_status integer, p_client text, p_details jsonb)
returns void
language plpgsql security definer set search_path = public, pg_temp as
$$
begin
    if p_actor_kind = 'operator' then
        perform platform_require_operator(p_actor);
    elsif p_actor_kind = 'analyst' then
        if p_tenant is not null or not auth_platform_kind_held(p_actor, 'analyst') then
            raise exception 'caller is not a platform analyst' using errcode = '42501';
        end if;
    elsif p_actor_kind <> 'anonymous' or p_tenant is not null then
        raise exception 'only operators, analysts and anonymous callers write platform audit rows' using errcode = '42501';
    end if;
    insert into audit_log (tenant_id, actor_kind, actor_user_id, action, target, outcome, status_code, client_address, details)
    values (p_tenant, p_actor_kind, p_actor, p_action, p_target, p_outcome, p_status, p_client, p_details);
end
$$;

create function platform_list_analysts(p_actor uuid)
returns table (user_id uuid, email text, display_name text, granted_at timestamptz, granted_by uuid)
language plpgsql stable security definer set search_path = public, pg_temp as
$$
begin
    perform platform_require_operator(p_actor);
    return query
        select u.id, u.email, u.display_name, r.granted_at, r.granted_by
        from platform_roles r join users u on u.id = r.user_id
        where r.role = 'analyst'
        order by r.granted_at, u.id;
end
$$;

-- Grants the analyst role to the user with that (normalized) email. Null when there is no such user; granting it again
-- changes nothing (the first grant's time and granter stay) and is audited as such.
create function platform_grant_analyst(p_actor uuid, p_email_normalized text, p_client text)
returns table (user_id uuid, email text, display_name text, granted_at timestamptz, granted_by uuid)
language plpgsql security definer set search_path = public, pg_temp as
$$
declare
    target uuid;
    added boolean;
begin
    perform platform_require_operator(p_actor);
    select u.id into target from users u where u.email_normalized = p_email_normalized;
    if target is null then
        return;
    end if;
    insert into platform_roles (user_id, role, granted_by) values (target, 'analyst', p_actor)
    on conflict on constraint platform_roles_pkey do nothing;
    added := found;
    insert into audit_log (tenant_id, actor_kind, actor_user_id, action, target, outcome, client_address, details)
    values (null, 'operator', p_actor, 'platform.analyst.granted', target::text, 'success', p_client,
            jsonb_build_object('email', p_email_normalized, 'alreadyGranted', not added));
    return query
        select u.id, u.email, u.display_name, r.granted_at, r.granted_by
        from platform_roles r join users u on u.id = r.user_id
        where r.user_id = target and r.role = 'analyst';
end
$$;

-- Revokes the analyst role: their tokens stop working at once (authentication asks auth_platform_kind_held). False when
-- the user is not an analyst.
create function platform_revoke_analyst(p_actor uuid, p_user uuid, p_client text) returns boolean
language plpgsql security definer set search_path = public, pg_temp as
$$
begin
    perform platform_require_operator(p_actor);
    delete from platform_roles where user_id = p_user and role = 'analyst';
    if not found then
        return false;
    end if;
    insert into audit_log (tenant_id, actor_kind, actor_user_id, action, target, outcome, client_address)
    values (null, 'operator', p_actor, 'platform.analyst.revoked', p_user::text, 'success', p_client);
    return true;
end
$$;

-- A tenant's state as revenue analytics needs it, merged into every event that changes it (docs/analytics.md):
-- tenantName, tenantPlan, billingCycle, complimentary, subscriptionStatus, currency, priceCents (the plan's price for
-- the cycle), mrrCents (what it brings per month: the price, an annual one divided by 12, 0 when complimentary) and
-- runsPerMonth (the plan's run quota; null = unlimited). A tenant without a subscription row is on its plan monthly,
-- complimentary unless Free, as BillingService.EnsureSubscriptionAsync would create it. Security invoker: the
-- application role sees only its own tenant here, the platform functions (as the owner) any.
create function tenant_state(p_tenant uuid) returns jsonb
language sql stable set search_path = public, pg_temp as
$$
    select jsonb_build_object(
        'tenantName', t.name,
        'tenantPlan', t.plan,
        'billingCycle', c.cycle,
        'complimentary', c.complimentary,
        'subscriptionStatus', coalesce(s.status, 'active'),
        'currency', coalesce(s.currency, pp.currency, 'usd'),
        'priceCents', coalesce(pp.amount, 0),
        'mrrCents', case when c.complimentary then 0
                         else round(coalesce(pp.amount, 0)::numeric / case c.cycle when 'annual' then 12 else 1 end)::bigint end,
        'runsPerMonth', p.runs_per_month)
    from tenants t
    left join subscriptions s on s.tenant_id = t.id
    cross join lateral (select coalesce(s.cycle, 'monthly') as cycle, coalesce(s.complimentary, t.plan <> 'free') as complimentary) c
    left join plans p on p.name = t.plan
    left join plan_prices pp on pp.plan = t.plan and pp.cycle = c.cycle
    where t.id = p_tenant
$$;

-- The operator's tenant events carry the tenant's state too.
create or replace function platform_create_tenant(p_actor uuid, p_id uuid, p_name text, p_slug text, p_plan text,
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
    values (gen_random_uuid(), p_id, 'tenant.created',
            jsonb_build_object('tenantId', p_id, 'plan', p_plan) || coalesce(tenant_state(p_id), '{}'));
end
$$;

create or replace function platform_update_tenant(p_actor uuid, p_tenant uuid, p_name text, p_plan text, p_client text)
returns boolean
language plpgsql security definer set search_path = public, pg_temp as
$$
begin
    perform platform_require_operator(p_actor);
    update tenants set name = coalesce(p_name, name), plan = coalesce(p_plan, plan), updated_at = now()
    where id = p_tenant;
    if not found then return false; end if;
    if p_plan is not null then
        update subscriptions set plan = p_plan, complimentary = (p_plan <> 'free'), pending_plan = null, pending_cycle = null,
                                 cancel_at_period_end = false, updated_at = now()
        where tenant_id = p_tenant;
    end if;
    insert into audit_log (tenant_id, actor_kind, actor_user_id, action, target, outcome, client_address, details)
    values (p_tenant, 'operator', p_actor, 'platform.tenant.updated', p_tenant::text, 'success', p_client,
            jsonb_strip_nulls(jsonb_build_object('name', p_name, 'plan', p_plan)));
    insert into event_outbox (id, tenant_id, type, payload)
    values (gen_random_uuid(), p_tenant, 'tenant.updated',
            jsonb_strip_nulls(jsonb_build_object('tenantId', p_tenant, 'plan', p_plan)) || coalesce(tenant_state(p_tenant), '{}'));
    return true;
end
$$;

-- 0002's purge, keeping a person who holds a platform role (like an operator) when their last tenant goes.
create or replace function tenant_purge(p_tenant uuid, p_actor_kind text, p_actor uuid, p_client text) returns jsonb
language plpgsql security definer set search_path = public, pg_temp as
$$
declare
    max_passes constant integer := 20;
    counts jsonb := '{}';
    n bigint;
    t text;
    pending text[];
    remaining text[];
    pass integer := 0;
    member_ids uuid[];
begin
    if not exists (select 1 from tenants where id = p_tenant) then
        return null;
    end if;
    select coalesce(array_agg(user_id), '{}') into member_ids from memberships where tenant_id = p_tenant;
    select coalesce(array_agg(c.relname::text order by c.relname), '{}') into pending
    from pg_class c join pg_namespace ns on ns.oid = c.relnamespace
    where ns.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
      and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped);
    while cardinality(pending) > 0 loop
        pass := pass + 1;
        if pass > max_passes then
            raise exception 'tenant purge could not empty: %', pending;
        end if;
        remaining := '{}';
        foreach t in array pending loop
            begin
                execute format('delete from %I where tenant_id = $1', t) using p_tenant;
                get diagnostics n = row_count;
                counts := counts || jsonb_build_object(t, coalesce((counts ->> t)::bigint, 0) + n);
            exception when foreign_key_violation then
                remaining := remaining || t;
            end;
        end loop;
        pending := remaining;
    end loop;
    delete from tenants where id = p_tenant;
    get diagnostics n = row_count;
    counts := counts || jsonb_build_object('tenants', n);
    delete from users u
    where u.id = any (member_ids) and not u.is_platform_operator
      and not exists (select 1 from platform_roles r where r.user_id = u.id)
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

-- Every tenant that exists now gets one snapshot of its state, so revenue analytics knows each tenant's plan and price
-- from here on even where its earlier events carried none (events before this migration had no state fields).
insert into event_outbox (id, tenant_id, type, payload)
select gen_random_uuid(), t.id, 'tenant.state_snapshot', jsonb_build_object('tenantId', t.id) || tenant_state(t.id)
from tenants t;

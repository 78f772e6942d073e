-- The purge finds every table with a tenant_id column at run time, so tables added by later migrations are purged
-- too; foreign keys between them decide the order, found by retrying the ones still referenced (bounded passes).
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

-- The worker path, set-based: a batch claim and a batch of results each cost one transaction and a handful of
-- statements, whatever their size. Before, a batch claim was N calls of runs_claim (each expiring leases and
-- re-scanning tenants) and every result its own transaction upserting the tenant's usage row, so a tenant's
-- completions queued on that row lock until each commit. Caps, fair order, fencing and the per-run log and
-- events are unchanged.

-- Claims up to p_max runs. Statement 1 locks (skipping those another claimer holds) up to p_max tenants with
-- queued work and room under their cap, least recently served first, plan priority breaking ties. Statement 2
-- runs on a fresh snapshot taken after those locks, so each tenant's running count is exact; it deals runs
-- round-robin across the locked tenants (each tenant's oldest first) up to each one's free slots.
create or replace function runs_claim_batch(p_worker text, p_lease_seconds integer, p_max integer)
returns table (o_run_id uuid, o_tenant_id uuid, o_attempt integer, o_lease_expires_at timestamptz, o_content jsonb)
language plpgsql security definer set search_path = public, pg_temp as
$$
declare
    locked uuid[];
begin
    if p_max is null or p_max < 1 or p_max > 100 then
        raise exception 'batch size must be 1..100' using errcode = '22023';
    end if;
    if p_lease_seconds is null or p_lease_seconds < 1 or p_lease_seconds > 3600 then
        raise exception 'lease must be 1..3600 seconds' using errcode = '22023';
    end if;
    perform runs_expire_leases();
    select array_agg(l.tenant_id) into locked from (
        select s.tenant_id
        from run_tenant_state s
        join tenants tn on tn.id = s.tenant_id
        left join plans p on p.name = tn.plan
        where tn.status = 'active'
          and exists (select 1 from runs q where q.tenant_id = s.tenant_id and q.status = 'queued')
          and (select count(*) from runs x where x.tenant_id = s.tenant_id and x.status = 'running') < coalesce(p.max_concurrent_runs, 1)
        order by s.last_claimed_at, coalesce(p.priority, 0) desc, s.tenant_id
        limit p_max
        for update of s skip locked
    ) l;
    if locked is null then
        return;
    end if;
    return query
    with slots as (
        select s.tenant_id, s.last_claimed_at, coalesce(p.priority, 0) as priority,
               coalesce(p.max_concurrent_runs, 1)
                 - (select count(*) from runs x where x.tenant_id = s.tenant_id and x.status = 'running') as free
        from run_tenant_state s
        join tenants tn on tn.id = s.tenant_id
        left join plans p on p.name = tn.plan
        where s.tenant_id = any (locked)
    ),
    dealt as (
        select q.id, sl.tenant_id, sl.last_claimed_at, sl.priority,
               row_number() over (partition by sl.tenant_id order by q.created_at, q.id) as round
        from slots sl
        cross join lateral (
            select x.id, x.created_at from runs x
            where x.tenant_id = sl.tenant_id and x.status = 'queued'
            order by x.created_at, x.id
            limit greatest(least(sl.free, p_max), 0)
        ) q
    ),
    picked as (
        select d.id from dealt d order by d.round, d.last_claimed_at, d.priority desc, d.tenant_id limit p_max
    ),
    -- Only claimers holding the tenant's lock take its queued runs; the status re-check skips a run cancelled meanwhile.
    claimed as (
        update runs x set status = 'running', attempt = x.attempt + 1, worker_id = p_worker,
                          lease_expires_at = now() + make_interval(secs => p_lease_seconds),
                          started_at = coalesce(x.started_at, now())
        from picked
        where x.id = picked.id and x.status = 'queued'
        returning x.id, x.tenant_id, x.attempt, x.lease_expires_at, x.content
    ),
    served as (
        update run_tenant_state s set last_claimed_at = clock_timestamp()
        where s.tenant_id in (select c.tenant_id from claimed c)
    ),
    logged as (
        insert into run_events (tenant_id, run_id, attempt, kind, worker_id)
        select c.tenant_id, c.id, c.attempt, 'claimed', p_worker from claimed c
    ),
    emitted as (
        insert into event_outbox (id, tenant_id, type, payload)
        select gen_random_uuid(), c.tenant_id, 'run.claimed',
               jsonb_build_object('runId', c.id, 'attempt', c.attempt, 'workerId', p_worker)
        from claimed c
    )
    select c.id, c.tenant_id, c.attempt, c.lease_expires_at, c.content from claimed c;
end
$$;

-- Workers claim in batches only (claim-batch, or with their reports): the one-run claim is gone.
drop function runs_claim(text, integer);

-- Records the results of up to 100 attempts at once. Each is accepted only when its attempt is still the run's
-- current, running one (fencing); the others change nothing and are logged as stale. Solver seconds go to each
-- tenant's usage row once per batch, rows taken in tenant order so two batches cannot deadlock on them.
-- p_items: [{"run_id", "attempt", "result", "converged", "reason", "solver_seconds"}, ...]
create function runs_complete_batch(p_worker text, p_items jsonb)
returns table (o_run_id uuid, o_ok boolean, o_tenant_id uuid, o_content_hash text, o_status text)
language plpgsql security definer set search_path = public, pg_temp as
$$
begin
    if jsonb_typeof(p_items) is distinct from 'array' or jsonb_array_length(p_items) not between 1 and 100 then
        raise exception 'results must be an array of 1..100 items' using errcode = '22023';
    end if;
    if (select count(distinct e ->> 'run_id') from jsonb_array_elements(p_items) e) <> jsonb_array_length(p_items) then
        raise exception 'a run appears twice in one batch of results' using errcode = '22023';
    end if;
    return query
    with items as (
        select i.run_id, i.attempt, i.result, i.converged, i.reason, i.solver_seconds
        from jsonb_to_recordset(p_items)
             as i (run_id uuid, attempt integer, result jsonb, converged boolean, reason text, solver_seconds double precision)
    ),
    done as (
        update runs x set status = 'completed', result = i.result, converged = i.converged, failure_reason = i.reason,
                          solver_seconds = i.solver_seconds, finished_at = now(), lease_expires_at = null
        from items i
        where x.id = i.run_id and x.status = 'running' and x.attempt = i.attempt
        returning x.id, x.tenant_id, x.content_hash, i.attempt, i.converged, i.reason, i.solver_seconds
    ),
    usage as (
        insert into usage_monthly as u (tenant_id, month, solver_seconds)
        select d.tenant_id, date_trunc('month', now() at time zone 'UTC')::date, sum(d.solver_seconds)
        from done d group by d.tenant_id order by d.tenant_id
        on conflict (tenant_id, month) do update set solver_seconds = u.solver_seconds + excluded.solver_seconds
    ),
    stale as (
        select i.run_id, i.attempt, x.tenant_id, x.content_hash, x.status, x.attempt as current_attempt
        from items i join runs x on x.id = i.run_id
        where not exists (select 1 from done d where d.id = i.run_id)
    ),
    logged as (
        insert into run_events (tenant_id, run_id, attempt, kind, worker_id, detail)
        select d.tenant_id, d.id, d.attempt, 'completed', p_worker,
               case when d.converged then 'converged' else 'not converged: ' || coalesce(d.reason, '') end
        from done d
        union all
        select s.tenant_id, s.run_id, s.attempt, 'stale-result', p_worker,
               format('ignored: the run is %s at attempt %s', s.status, s.current_attempt)
        from stale s
    ),
    emitted as (
        insert into event_outbox (id, tenant_id, type, payload)
        select gen_random_uuid(), d.tenant_id, 'run.completed',
               jsonb_build_object('runId', d.id, 'attempt', d.attempt, 'converged', d.converged, 'solverSeconds', d.solver_seconds)
        from done d
        union all
        select gen_random_uuid(), d.tenant_id, 'usage.solver_seconds',
               jsonb_build_object('runId', d.id, 'solverSeconds', d.solver_seconds,
                                  'month', date_trunc('month', now() at time zone 'UTC')::date)
        from done d
    )
    select i.run_id, d.id is not null, coalesce(d.tenant_id, s.tenant_id), coalesce(d.content_hash, s.content_hash),
           case when d.id is not null then 'completed' else s.status end
    from items i
    left join done d on d.id = i.run_id
    left join stale s on s.run_id = i.run_id;
end
$$;

-- Workers report results in batches only (complete-batch): the one-result completion is gone.
drop function runs_complete(uuid, integer, text, jsonb, boolean, text, double precision);

-- Runs at scale: plans and limits, the run queue with leases and fencing attempts, studies, usage counters.
-- Runs as the database owner. Every tenant table has forced row-level security; the worker path that crosses
-- tenants (claim, heartbeat, report) is the SECURITY DEFINER functions at the end, called by the Api alone.

-- The product's plans and limits, in one table so they can change without a deploy. NULL means unlimited.
create table plans (
    name                  text primary key,
    display_name          text not null,
    -- Higher is served first when tenants are otherwise tied in the claim order.
    priority              integer not null,
    runs_per_month        integer check (runs_per_month >= 0),
    api_calls_per_hour    integer not null check (api_calls_per_hour > 0),
    max_flowsheets        integer check (max_flowsheets >= 0),
    max_members           integer check (max_members >= 0),
    max_concurrent_runs   integer not null check (max_concurrent_runs > 0)
);
insert into plans values
    ('free',       'Free',       0, 10,   100,    5,    1,   1),
    ('pro',        'Pro',        1, 1000, 10000,  100,  10,  5),
    -- tenants.plan (0001) names the middle plan 'team'; it carries the Pro limits.
    ('team',       'Pro',        1, 1000, 10000,  100,  10,  5),
    ('enterprise', 'Enterprise', 2, null, 100000, null, 100, 20);

alter table tenants drop constraint if exists tenants_plan_check;
alter table tenants add constraint tenants_plan_fkey foreign key (plan) references plans (name);

create table studies (
    id                 uuid primary key,
    tenant_id          uuid not null references tenants (id) on delete cascade,
    flowsheet_id       uuid not null,
    flowsheet_version  integer not null,
    name               text not null check (length(name) between 1 and 200),
    parameters         jsonb not null,
    total              integer not null check (total >= 1),
    status             text not null default 'active' check (status in ('active', 'cancelled')),
    created_by         uuid not null,
    created_at         timestamptz not null default now(),
    cancelled_at       timestamptz,
    unique (tenant_id, id)
);

create table runs (
    id                 uuid primary key,
    tenant_id          uuid not null references tenants (id) on delete cascade,
    flowsheet_id       uuid not null,
    flowsheet_version  integer not null,
    study_id           uuid,
    study_point        integer,
    point_values       jsonb,
    status             text not null check (status in ('queued', 'running', 'completed', 'failed', 'cancelled')),
    content            jsonb not null,
    content_hash       text not null,
    idempotency_key    text check (length(idempotency_key) between 1 and 255),
    request_hash       text,
    submit_response    text,
    -- The fencing token: incremented by every claim, never decremented; reports carry it.
    attempt            integer not null default 0,
    -- Claims handed back by a worker shutting down; they do not use up max_attempts.
    releases           integer not null default 0,
    max_attempts       integer not null check (max_attempts between 1 and 10),
    worker_id          text,
    lease_expires_at   timestamptz,
    cancel_requested   boolean not null default false,
    cached             boolean not null default false,
    converged          boolean,
    result             jsonb,
    failure_reason     text,
    solver_seconds     double precision,
    created_by         uuid not null,
    created_at         timestamptz not null,
    started_at         timestamptz,
    finished_at        timestamptz,
    unique (tenant_id, idempotency_key),
    foreign key (tenant_id, study_id) references studies (tenant_id, id) on delete cascade
);
create index runs_queued on runs (tenant_id, created_at, id) where status = 'queued';
create index runs_running on runs (tenant_id) where status = 'running';
create index runs_leases on runs (lease_expires_at) where status = 'running';
create index runs_tenant_time on runs (tenant_id, created_at desc, id);
create index runs_study on runs (study_id, study_point) where study_id is not null;

-- What happened to a run, in order: queued, claimed by worker X (attempt N), heartbeats, reports, rejections.
create table run_events (
    id          bigint generated always as identity primary key,
    tenant_id   uuid not null references tenants (id) on delete cascade,
    run_id      uuid not null,
    attempt     integer,
    kind        text not null,
    worker_id   text,
    detail      text,
    at          timestamptz not null default clock_timestamp()
);
create index run_events_run on run_events (run_id, id);

-- One row per tenant with runs: the claim order's "least recently served" and the per-tenant claim lock.
create table run_tenant_state (
    tenant_id        uuid primary key references tenants (id) on delete cascade,
    last_claimed_at  timestamptz not null default '-infinity'
);

create table usage_monthly (
    tenant_id       uuid not null references tenants (id) on delete cascade,
    month           date not null check (extract(day from month) = 1),
    runs            integer not null default 0 check (runs >= 0),
    solver_seconds  double precision not null default 0,
    api_calls       bigint not null default 0,
    primary key (tenant_id, month)
);

do $$
declare t text;
begin
    foreach t in array array['studies', 'runs', 'run_events', 'run_tenant_state', 'usage_monthly'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant_isolation on %I using (tenant_id = current_tenant_id() or is_platform_path()) '
                       'with check (tenant_id = current_tenant_id() or is_platform_path())', t);
    end loop;
end $$;

-- ---------------------------------------------------------------------------------------------
-- The worker path. Workers hold no database credentials: the Api calls these after checking the
-- service token. Each runs as the owner (is_platform_path() holds), touches only the run named or the
-- run it picks, and records what it did in run_events and the outbox.
-- ---------------------------------------------------------------------------------------------

create function runs_log(p_tenant uuid, p_run uuid, p_attempt integer, p_kind text, p_worker text, p_detail text)
returns void
language sql security definer set search_path = public, pg_temp as
$$
    insert into run_events (tenant_id, run_id, attempt, kind, worker_id, detail)
    values (p_tenant, p_run, p_attempt, p_kind, p_worker, p_detail)
$$;

create function runs_emit(p_tenant uuid, p_type text, p_payload jsonb) returns void
language sql security definer set search_path = public, pg_temp as
$$ insert into event_outbox (id, tenant_id, type, payload) values (gen_random_uuid(), p_tenant, p_type, p_payload) $$;

-- Runs whose lease ran out: queued again, failed when their attempts are used up, cancelled when asked to be.
create function runs_expire_leases() returns integer
language plpgsql security definer set search_path = public, pg_temp as
$$
declare
    r record;
    n integer := 0;
    why text;
begin
    for r in
        select x.id, x.tenant_id, x.attempt, x.releases, x.max_attempts, x.worker_id, x.cancel_requested
        from runs x where x.status = 'running' and x.lease_expires_at < now()
        order by x.lease_expires_at
        limit 100
        for update skip locked
    loop
        if r.cancel_requested then
            update runs set status = 'cancelled', finished_at = now(), lease_expires_at = null where id = r.id;
            perform runs_log(r.tenant_id, r.id, r.attempt, 'cancelled', r.worker_id, 'the lease expired while cancelling');
            perform runs_emit(r.tenant_id, 'run.cancelled', jsonb_build_object('runId', r.id));
        elsif r.attempt - r.releases >= r.max_attempts then
            why := format('the lease of worker %s expired on attempt %s; no attempts left (max %s)', r.worker_id, r.attempt, r.max_attempts);
            update runs set status = 'failed', failure_reason = why, finished_at = now(), lease_expires_at = null where id = r.id;
            perform runs_log(r.tenant_id, r.id, r.attempt, 'failed', r.worker_id, why);
            perform runs_emit(r.tenant_id, 'run.failed', jsonb_build_object('runId', r.id, 'reason', why));
        else
            update runs set status = 'queued', worker_id = null, lease_expires_at = null where id = r.id;
            perform runs_log(r.tenant_id, r.id, r.attempt, 'lease-expired', r.worker_id, 'queued again');
            perform runs_emit(r.tenant_id, 'run.requeued', jsonb_build_object('runId', r.id, 'attempt', r.attempt));
        end if;
        n := n + 1;
    end loop;
    return n;
end
$$;

-- Claims one run: tenants in least-recently-served order (plan priority breaks ties), each under its
-- state-row lock so the concurrency cap is counted exactly; tenants another claimer holds are skipped.
create function runs_claim(p_worker text, p_lease_seconds integer)
returns table (o_run_id uuid, o_tenant_id uuid, o_attempt integer, o_lease_expires_at timestamptz, o_content jsonb)
language plpgsql security definer set search_path = public, pg_temp as
$$
declare
    t record;
    c record;
    running integer;
begin
    if p_lease_seconds is null or p_lease_seconds < 1 or p_lease_seconds > 3600 then
        raise exception 'lease must be 1..3600 seconds' using errcode = '22023';
    end if;
    perform runs_expire_leases();
    for t in
        select s.tenant_id as tid, coalesce(p.max_concurrent_runs, 1) as cap
        from run_tenant_state s
        join tenants tn on tn.id = s.tenant_id
        left join plans p on p.name = tn.plan
        where tn.status = 'active'
          and exists (select 1 from runs q where q.tenant_id = s.tenant_id and q.status = 'queued')
        order by s.last_claimed_at, coalesce(p.priority, 0) desc, s.tenant_id
        for update of s skip locked
    loop
        select count(*) into running from runs x where x.tenant_id = t.tid and x.status = 'running';
        if running >= t.cap then
            continue;
        end if;
        select x.id into c from runs x
        where x.tenant_id = t.tid and x.status = 'queued'
        order by x.created_at, x.id
        limit 1
        for update skip locked;
        if not found then
            continue;
        end if;
        update runs x set status = 'running', attempt = x.attempt + 1, worker_id = p_worker,
                          lease_expires_at = now() + make_interval(secs => p_lease_seconds),
                          started_at = coalesce(x.started_at, now())
        where x.id = c.id
        returning x.id, x.tenant_id, x.attempt, x.lease_expires_at, x.content into c;
        update run_tenant_state s set last_claimed_at = clock_timestamp() where s.tenant_id = t.tid;
        perform runs_log(t.tid, c.id, c.attempt, 'claimed', p_worker, null);
        perform runs_emit(t.tid, 'run.claimed', jsonb_build_object('runId', c.id, 'attempt', c.attempt, 'workerId', p_worker));
        return query select c.id, c.tenant_id, c.attempt, c.lease_expires_at, c.content;
        return;
    end loop;
end
$$;

-- Renews the lease of the current attempt only; a stale attempt changes nothing (o_ok = false).
create function runs_heartbeat(p_run uuid, p_attempt integer, p_worker text, p_lease_seconds integer)
returns table (o_ok boolean, o_lease_expires_at timestamptz, o_cancel_requested boolean)
language plpgsql security definer set search_path = public, pg_temp as
$$
declare
    r record;
begin
    update runs x set lease_expires_at = now() + make_interval(secs => p_lease_seconds)
    where x.id = p_run and x.status = 'running' and x.attempt = p_attempt
    returning x.tenant_id, x.lease_expires_at, x.cancel_requested into r;
    if not found then
        perform runs_log(x.tenant_id, p_run, p_attempt, 'stale-heartbeat', p_worker,
                         format('ignored: the run is %s at attempt %s', x.status, x.attempt))
        from runs x where x.id = p_run;
        return query select false, null::timestamptz, false;
        return;
    end if;
    perform runs_log(r.tenant_id, p_run, p_attempt, 'heartbeat', p_worker, null);
    return query select true, r.lease_expires_at, r.cancel_requested;
end
$$;

-- Records the result of the current attempt, once; adds the solver time to the month's usage.
create function runs_complete(p_run uuid, p_attempt integer, p_worker text, p_result jsonb, p_converged boolean,
                              p_reason text, p_solver_seconds double precision)
returns table (o_ok boolean, o_tenant_id uuid, o_content_hash text, o_status text)
language plpgsql security definer set search_path = public, pg_temp as
$$
declare
    r record;
begin
    update runs x set status = 'completed', result = p_result, converged = p_converged, failure_reason = p_reason,
                      solver_seconds = p_solver_seconds, finished_at = now(), lease_expires_at = null
    where x.id = p_run and x.status = 'running' and x.attempt = p_attempt
    returning x.tenant_id, x.content_hash, x.status into r;
    if not found then
        select x.tenant_id, x.content_hash, x.status, x.attempt into r from runs x where x.id = p_run;
        if found then
            perform runs_log(r.tenant_id, p_run, p_attempt, 'stale-result', p_worker,
                             format('ignored: the run is %s at attempt %s', r.status, r.attempt));
        end if;
        return query select false, r.tenant_id, r.content_hash, r.status;
        return;
    end if;
    insert into usage_monthly as u (tenant_id, month, solver_seconds)
    values (r.tenant_id, date_trunc('month', now() at time zone 'UTC')::date, p_solver_seconds)
    on conflict (tenant_id, month) do update set solver_seconds = u.solver_seconds + excluded.solver_seconds;
    perform runs_log(r.tenant_id, p_run, p_attempt, 'completed', p_worker,
                     case when p_converged then 'converged' else 'not converged: ' || coalesce(p_reason, '') end);
    perform runs_emit(r.tenant_id, 'run.completed', jsonb_build_object('runId', p_run, 'attempt', p_attempt,
                      'converged', p_converged, 'solverSeconds', p_solver_seconds));
    perform runs_emit(r.tenant_id, 'usage.solver_seconds', jsonb_build_object('runId', p_run, 'solverSeconds', p_solver_seconds,
                      'month', date_trunc('month', now() at time zone 'UTC')::date));
    return query select true, r.tenant_id, r.content_hash, 'completed'::text;
end
$$;

-- The current attempt ends without a result: 'failed' (queued again while attempts remain when retryable),
-- 'cancelled' (the worker stopped on request) or 'released' (the worker is shutting down; no attempt used up).
create function runs_report(p_run uuid, p_attempt integer, p_worker text, p_outcome text, p_reason text, p_retryable boolean)
returns table (o_ok boolean, o_status text)
language plpgsql security definer set search_path = public, pg_temp as
$$
declare
    r record;
    next_status text;
begin
    if p_outcome not in ('failed', 'cancelled', 'released') then
        raise exception 'unknown outcome %', p_outcome using errcode = '22023';
    end if;
    select x.tenant_id, x.status, x.attempt, x.releases, x.max_attempts, x.cancel_requested into r
    from runs x where x.id = p_run for update;
    if not found then
        return query select false, null::text;
        return;
    end if;
    if r.status <> 'running' or r.attempt <> p_attempt then
        perform runs_log(r.tenant_id, p_run, p_attempt, 'stale-' || p_outcome, p_worker,
                         format('ignored: the run is %s at attempt %s', r.status, r.attempt));
        return query select false, r.status;
        return;
    end if;
    if p_outcome = 'cancelled' or (r.cancel_requested and p_outcome = 'released') then
        next_status := 'cancelled';
        update runs set status = 'cancelled', finished_at = now(), lease_expires_at = null where id = p_run;
    elsif p_outcome = 'released' then
        next_status := 'queued';
        update runs set status = 'queued', releases = releases + 1, worker_id = null, lease_expires_at = null where id = p_run;
    elsif p_retryable and r.attempt - r.releases < r.max_attempts then
        next_status := 'queued';
        update runs set status = 'queued', worker_id = null, lease_expires_at = null where id = p_run;
    else
        next_status := 'failed';
        update runs set status = 'failed', failure_reason = p_reason, finished_at = now(), lease_expires_at = null where id = p_run;
    end if;
    perform runs_log(r.tenant_id, p_run, p_attempt, p_outcome, p_worker, coalesce(p_reason, '') || ' -> ' || next_status);
    perform runs_emit(r.tenant_id, 'run.' || next_status, jsonb_build_object('runId', p_run, 'attempt', p_attempt,
                      'outcome', p_outcome, 'reason', p_reason));
    return query select true, next_status;
end
$$;

-- Customer webhooks (issue 15, item 7): a tenant registers URLs for run.completed, run.failed and study.completed; the
-- Api's WebhookDispatcher turns those outbox events into deliveries (one per event and endpoint), signs them with the
-- endpoint's secret, POSTs them, retries with backoff and logs every attempt.
--
-- The secret has to be recoverable (it signs every delivery), so it is stored as given; the application role may write
-- it (create, rotate) but never read it: it reaches the dispatcher only through webhook_deliveries_claim().
create table webhook_endpoints (
    id                 uuid primary key,
    tenant_id          uuid not null references tenants (id) on delete cascade,
    url                text not null check (length(url) between 1 and 2000),
    events             text[] not null check (cardinality(events) >= 1
                                              and events <@ array['run.completed', 'run.failed', 'study.completed']),
    secret             text not null check (length(secret) between 32 and 200),
    enabled            boolean not null default true,
    created_by         uuid not null,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    secret_rotated_at  timestamptz,
    unique (tenant_id, id)
);

-- One delivery per event and endpoint (the dispatcher may see an event twice; the unique key makes that harmless).
-- The body is the exact text that is signed and sent, every attempt the same. A replay sends it again: the delivery
-- goes back to pending with a fresh attempt budget; its attempt log keeps every earlier attempt.
create table webhook_deliveries (
    id                uuid primary key,
    tenant_id         uuid not null references tenants (id) on delete cascade,
    endpoint_id       uuid not null,
    event_id          uuid not null,
    event_type        text not null,
    body              text not null,
    status            text not null default 'pending' check (status in ('pending', 'succeeded', 'failed')),
    -- Attempts of the current round (a replay starts a new round); the claim stops at the configured maximum.
    attempts          integer not null default 0,
    next_attempt_at   timestamptz not null default now(),
    locked_until      timestamptz,
    last_status_code  integer,
    last_error        text,
    created_at        timestamptz not null default now(),
    delivered_at      timestamptz,
    replays           integer not null default 0,
    unique (endpoint_id, event_id),
    foreign key (tenant_id, endpoint_id) references webhook_endpoints (tenant_id, id) on delete cascade
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_endpoint on webhook_deliveries (tenant_id, endpoint_id, created_at desc);

create table webhook_attempts (
    id             bigint generated always as identity primary key,
    tenant_id      uuid not null references tenants (id) on delete cascade,
    delivery_id    uuid not null references webhook_deliveries (id) on delete cascade,
    number         integer not null,
    started_at     timestamptz not null,
    duration_ms    integer not null,
    status_code    integer,
    error          text,
    response_body  text,
    unique (delivery_id, number)
);

do $$
declare t text;
begin
    foreach t in array array['webhook_endpoints', 'webhook_deliveries', 'webhook_attempts'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant_isolation on %I using (tenant_id = current_tenant_id() or is_platform_path()) '
                       'with check (tenant_id = current_tenant_id() or is_platform_path())', t);
    end loop;
end $$;

-- Where the dispatcher has read the outbox feed up to (one row). It starts at the feed's end when this migration runs:
-- events from before webhooks existed are never delivered.
create table webhook_dispatch_state (
    id          boolean primary key default true check (id),
    after_txid  bigint not null,
    after_seq   bigint not null
);
insert into webhook_dispatch_state (after_txid, after_seq)
select coalesce(max(txid::text::bigint), 0), coalesce(max(seq), 0) from event_outbox;
revoke all on webhook_dispatch_state from public;

-- Reads the outbox feed after the checkpoint and records the deliveries its events call for, in one transaction:
-- run.completed and run.failed for every enabled endpoint of the run's tenant subscribed to the type (and registered
-- before the event); study.completed once the last run of a study has ended (completed, failed or cancelled), keyed
-- by the study id, so concurrent last runs still make one delivery. Another replica holding the checkpoint is skipped
-- (returns -1). Returns how many feed events were read.
create function webhook_dispatch_events(p_limit integer)
returns integer
language plpgsql volatile security definer set search_path = public, pg_temp as
$$
declare
    st record;
    e record;
    n integer := 0;
    run record;
    pos_txid bigint;
    pos_seq bigint;
begin
    select s.after_txid, s.after_seq into st from webhook_dispatch_state s for update skip locked;
    if not found then
        return -1;
    end if;
    pos_txid := st.after_txid;
    pos_seq := st.after_seq;
    for e in select * from outbox_feed(st.after_txid, st.after_seq, p_limit) loop
        n := n + 1;
        pos_txid := e.o_txid;
        pos_seq := e.o_seq;
        if e.o_tenant_id is null or e.o_type not in ('run.completed', 'run.failed', 'run.cancelled') then
            continue;
        end if;
        select r.id, r.tenant_id, r.flowsheet_id, r.flowsheet_version, r.study_id, r.status into run
        from runs r where r.id = (e.o_payload::jsonb ->> 'runId')::uuid and r.tenant_id = e.o_tenant_id;
        if not found then
            continue;
        end if;
        if e.o_type in ('run.completed', 'run.failed') then
            insert into webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_type, body)
            select gen_random_uuid(), w.tenant_id, w.id, e.o_id, e.o_type,
                   jsonb_build_object('id', e.o_id, 'type', e.o_type, 'createdAt', e.o_occurred_at, 'tenantId', e.o_tenant_id,
                                      'data', e.o_payload::jsonb || jsonb_build_object(
                                          'runId', run.id, 'status', run.status, 'flowsheetId', run.flowsheet_id,
                                          'flowsheetVersion', run.flowsheet_version, 'studyId', run.study_id))::text
            from webhook_endpoints w
            where w.tenant_id = e.o_tenant_id and w.enabled and e.o_type = any (w.events) and w.created_at <= e.o_occurred_at
            on conflict (endpoint_id, event_id) do nothing;
        end if;
        if run.study_id is not null
           and not exists (select 1 from runs q where q.study_id = run.study_id and q.tenant_id = run.tenant_id
                                                and q.status in ('queued', 'running')) then
            insert into webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_type, body)
            select gen_random_uuid(), w.tenant_id, w.id, st2.id, 'study.completed',
                   jsonb_build_object('id', st2.id, 'type', 'study.completed', 'createdAt', now(), 'tenantId', st2.tenant_id,
                                      'data', jsonb_build_object(
                                          'studyId', st2.id, 'name', st2.name, 'flowsheetId', st2.flowsheet_id,
                                          'flowsheetVersion', st2.flowsheet_version, 'status', st2.status, 'total', st2.total,
                                          'completed', (select count(*) from runs q where q.study_id = st2.id and q.status = 'completed'),
                                          'converged', (select count(*) from runs q where q.study_id = st2.id and q.status = 'completed' and q.converged),
                                          'failed', (select count(*) from runs q where q.study_id = st2.id and q.status = 'failed'),
                                          'cancelled', (select count(*) from runs q where q.study_id = st2.id and q.status = 'cancelled')))::text
            from studies st2
            join webhook_endpoints w on w.tenant_id = st2.tenant_id
            where st2.id = run.study_id and st2.tenant_id = run.tenant_id
              and w.enabled and 'study.completed' = any (w.events) and w.created_at <= e.o_occurred_at
            on conflict (endpoint_id, event_id) do nothing;
        end if;
    end loop;
    update webhook_dispatch_state set after_txid = pos_txid, after_seq = pos_seq;
    return n;
end
$$;

-- Leases due deliveries of enabled endpoints for sending (cross-tenant: one dispatcher for the platform). Skips rows
-- another replica holds, so no delivery is sent twice at once. Returns the endpoint's URL and secret: the one way
-- the application role reads a secret.
create function webhook_deliveries_claim(p_limit integer, p_lease interval, p_max_attempts integer)
returns table (o_id uuid, o_tenant_id uuid, o_endpoint_id uuid, o_url text, o_secret text, o_event_type text, o_body text,
               o_attempts integer)
language sql volatile security definer set search_path = public, pg_temp as
$$
    -- A delivery whose last allowed attempt never reported back (its sender stopped mid-request) ends failed.
    update webhook_deliveries set status = 'failed', locked_until = null,
           last_error = 'the last attempt never reported back (its sender stopped); no attempts left'
    where status = 'pending' and attempts >= greatest(p_max_attempts, 1) and (locked_until is null or locked_until < now());
    with claimed as (
        update webhook_deliveries d set locked_until = now() + p_lease, attempts = d.attempts + 1
        where d.id in (
            select x.id from webhook_deliveries x
            join webhook_endpoints w on w.id = x.endpoint_id and w.tenant_id = x.tenant_id
            where x.status = 'pending' and x.next_attempt_at <= now() and (x.locked_until is null or x.locked_until < now())
              and x.attempts < greatest(p_max_attempts, 1) and w.enabled
            order by x.next_attempt_at
            limit least(greatest(p_limit, 0), 100)
            for update of x skip locked)
        returning d.id, d.tenant_id, d.endpoint_id, d.event_type, d.body, d.attempts
    )
    select c.id, c.tenant_id, c.endpoint_id, w.url, w.secret, c.event_type, c.body, c.attempts
    from claimed c join webhook_endpoints w on w.id = c.endpoint_id
$$;

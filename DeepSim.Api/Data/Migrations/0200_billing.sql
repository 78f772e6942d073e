-- Billing (issue 14): prices, subscriptions, invoices with lines, the local ledger, usage reports and the
-- payment provider's events. Amounts are integer minor units (cents) in one currency per row.
-- Runs as the database owner. Every tenant table has forced row-level security, like the rest.

-- Prices per plan and cycle, in one table so they can change without a deploy. stripe_price is the Stripe
-- price id (or lookup key) used when Stripe is configured.
create table plan_prices (
    plan          text not null references plans (name),
    cycle         text not null check (cycle in ('monthly', 'annual')),
    currency      text not null default 'usd' check (currency ~ '^[a-z]{3}$'),
    amount        bigint not null check (amount >= 0),
    stripe_price  text,
    primary key (plan, cycle)
);
insert into plan_prices (plan, cycle, amount, stripe_price) values
    ('free',       'monthly', 0,      null),
    ('free',       'annual',  0,      null),
    ('pro',        'monthly', 9900,   'deepsim_pro_monthly'),
    ('pro',        'annual',  99000,  'deepsim_pro_annual'),
    ('enterprise', 'monthly', 49900,  'deepsim_enterprise_monthly'),
    ('enterprise', 'annual',  499000, 'deepsim_enterprise_annual');

-- Usage pricing: solver time beyond what the plan includes per billing period, billed per started hundredth of
-- an hour (36 s). NULL price: no overage (the run quota is the limit, as on Free).
alter table plans add column included_solver_hours integer check (included_solver_hours >= 0);
alter table plans add column overage_per_solver_hour bigint check (overage_per_solver_hour >= 0);
update plans set included_solver_hours = 1, overage_per_solver_hour = null where name = 'free';
update plans set included_solver_hours = 50, overage_per_solver_hour = 200 where name = 'pro';
update plans set included_solver_hours = 500, overage_per_solver_hour = 150 where name = 'enterprise';

-- One subscription per tenant (created on the first billing call; a tenant without one is on its plan for free).
create table subscriptions (
    tenant_id              uuid primary key references tenants (id),
    plan                   text not null references plans (name),
    cycle                  text not null check (cycle in ('monthly', 'annual')),
    status                 text not null check (status in ('active', 'past_due', 'canceled')),
    current_period_start   timestamptz not null,
    current_period_end     timestamptz not null check (current_period_end > current_period_start),
    cancel_at_period_end   boolean not null default false,
    -- A downgrade waits for the period's end.
    pending_plan           text references plans (name),
    pending_cycle          text check (pending_cycle in ('monthly', 'annual')),
    -- Set by an operator's plan change: the plan is not charged.
    complimentary          boolean not null default false,
    past_due_since         timestamptz,
    restricted_since       timestamptz,
    -- Customer credit (minor units) from prorations that came out negative; used by the next invoices.
    credit_balance         bigint not null default 0 check (credit_balance >= 0),
    currency               text not null default 'usd',
    provider               text not null default 'ledger' check (provider in ('ledger', 'stripe')),
    stripe_customer        text unique,
    stripe_subscription    text unique,
    -- The Stripe object time (unix seconds) the local row last followed: an older event never wins.
    stripe_synced_at       bigint not null default 0,
    created_at             timestamptz not null default now(),
    updated_at             timestamptz not null default now()
);

create sequence invoice_numbers;
create table invoices (
    id                 uuid primary key,
    tenant_id          uuid not null references tenants (id),
    number             text not null unique,
    status             text not null check (status in ('draft', 'open', 'paid', 'void', 'uncollectible')),
    reason             text not null check (reason in ('subscription_create', 'subscription_update', 'subscription_cycle', 'manual')),
    currency           text not null,
    subtotal           bigint not null,
    credit_applied     bigint not null default 0 check (credit_applied >= 0),
    amount_due         bigint not null check (amount_due >= 0),
    amount_paid        bigint not null default 0 check (amount_paid >= 0),
    period_start       timestamptz not null,
    period_end         timestamptz not null,
    created_at         timestamptz not null,
    finalized_at       timestamptz,
    paid_at            timestamptz,
    voided_at          timestamptz,
    stripe_invoice     text unique,
    stripe_synced_at   bigint not null default 0,
    unique (tenant_id, id)
);
create index invoices_tenant_time on invoices (tenant_id, created_at desc);

create table invoice_lines (
    id            uuid primary key,
    tenant_id     uuid not null,
    invoice_id    uuid not null,
    position      integer not null,
    kind          text not null check (kind in ('plan', 'proration', 'usage', 'credit')),
    description   text not null,
    quantity      numeric not null,
    unit_amount   bigint not null,
    amount        bigint not null,
    period_start  timestamptz,
    period_end    timestamptz,
    unique (invoice_id, position),
    foreign key (tenant_id, invoice_id) references invoices (tenant_id, id)
);

-- The ledger: append-only. A finalized invoice posts its subtotal (+; a negative subtotal is credit), a payment
-- posts −amount, a void posts −(what was still owed), so the sum over a tenant is what it owes (negative: credit).
-- reference makes every posting idempotent.
create table ledger_entries (
    id          bigserial primary key,
    tenant_id   uuid not null references tenants (id),
    invoice_id  uuid,
    kind        text not null check (kind in ('invoice', 'payment', 'void')),
    amount      bigint not null,
    currency    text not null,
    reference   text not null unique,
    created_at  timestamptz not null default now()
);
create index ledger_entries_tenant on ledger_entries (tenant_id, id);

-- Usage reported to the payment provider, once per (tenant, period): recorded before sending, marked after; the
-- identifier is the idempotency key, so a crash between sending and marking re-sends the same one.
create table usage_reports (
    tenant_id      uuid not null references tenants (id),
    period_start   timestamptz not null,
    period_end     timestamptz not null,
    solver_seconds double precision not null,
    identifier     text not null unique,
    created_at     timestamptz not null default now(),
    sent_at        timestamptz,
    primary key (tenant_id, period_start)
);

do $$
declare t text;
begin
    foreach t in array array['subscriptions', 'invoices', 'invoice_lines', 'ledger_entries', 'usage_reports'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format('create policy tenant_isolation on %I using (tenant_id = current_tenant_id() or is_platform_path()) '
                       'with check (tenant_id = current_tenant_id() or is_platform_path())', t);
    end loop;
end $$;

-- The payment provider's webhook events: each applied once (its id), kept without the payload. Platform data, not a
-- tenant's: it has no tenant column (the tenant is found from the event's customer when it is applied).
create table provider_events (
    id           text primary key,
    type         text not null,
    object_time  bigint not null,
    received_at  timestamptz not null default now(),
    outcome      text not null
);

-- The tenant's plan follows its subscription. The application role cannot write tenants.plan; this moves the
-- current tenant's plan (and only its own) to what its subscription row says.
create function billing_sync_plan() returns text
language plpgsql security definer set search_path = public, pg_temp as
$$
declare p text;
begin
    select s.plan into p from subscriptions s where s.tenant_id = current_tenant_id();
    if p is null then return null; end if;
    update tenants set plan = p, updated_at = now() where id = current_tenant_id() and plan is distinct from p;
    return p;
end
$$;

-- Subscriptions due for the billing job (a period ended, or past due beyond the grace), across tenants: ids only.
create function billing_due_tenants(p_now timestamptz, p_grace interval, p_limit integer)
returns table (tenant_id uuid)
language sql stable security definer set search_path = public, pg_temp as
$$
    select s.tenant_id from subscriptions s
    where (s.provider = 'ledger' and s.current_period_end <= p_now)
       or (s.status = 'past_due' and s.restricted_since is null and s.past_due_since + p_grace <= p_now)
    order by s.tenant_id
    limit least(greatest(p_limit, 0), 500)
$$;

-- A Stripe customer's tenant (webhooks carry the customer, not a tenant).
create function billing_tenant_for_customer(p_customer text) returns uuid
language sql stable security definer set search_path = public, pg_temp as
$$ select s.tenant_id from subscriptions s where s.stripe_customer = p_customer $$;

-- An operator's plan change also moves the subscription, as a complimentary plan (not charged).
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
            jsonb_strip_nulls(jsonb_build_object('tenantId', p_tenant, 'plan', p_plan)));
    return true;
end
$$;

-- Stripe (issue 14): what the usage reporter sends, and the cross-tenant lists the Stripe jobs walk (ids only).

-- The overage (hundredths of a solver hour beyond the plan) the meter event carries, fixed when the row is recorded:
-- a re-send after a crash sends the same value under the same identifier.
alter table usage_reports add column overage_units bigint not null default 0 check (overage_units >= 0);

-- Stripe subscriptions whose period is over by p_now (a pending change to apply, usage to record) or with usage not
-- yet sent: for the usage reporter.
create function billing_stripe_due_tenants(p_now timestamptz, p_limit integer)
returns table (tenant_id uuid)
language sql stable security definer set search_path = public, pg_temp as
$$
    select s.tenant_id from subscriptions s
    where s.provider = 'stripe' and s.stripe_subscription is not null
      and (s.current_period_end <= p_now or exists (select 1 from usage_reports u where u.tenant_id = s.tenant_id and u.sent_at is null))
    order by s.tenant_id
    limit least(greatest(p_limit, 0), 500)
$$;

-- Every Stripe subscription after p_after (keyset paging): for reconciliation.
create function billing_stripe_tenants(p_after uuid, p_limit integer)
returns table (tenant_id uuid)
language sql stable security definer set search_path = public, pg_temp as
$$
    select s.tenant_id from subscriptions s
    where s.provider = 'stripe' and s.stripe_subscription is not null and s.tenant_id > coalesce(p_after, '00000000-0000-0000-0000-000000000000'::uuid)
    order by s.tenant_id
    limit least(greatest(p_limit, 0), 500)
$$;

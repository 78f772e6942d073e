-- Batch claims: a worker with N free slots claims up to N runs in one call and one transaction instead of N
-- calls that race each other for the same tenant's state-row lock (the racers skip the locked tenant, find
-- nothing and poll again). Each pick is runs_claim itself, so caps, fair order and fencing are unchanged.
create function runs_claim_batch(p_worker text, p_lease_seconds integer, p_max integer)
returns table (o_run_id uuid, o_tenant_id uuid, o_attempt integer, o_lease_expires_at timestamptz, o_content jsonb)
language plpgsql security definer set search_path = public, pg_temp as
$$
begin
    if p_max is null or p_max < 1 or p_max > 100 then
        raise exception 'batch size must be 1..100' using errcode = '22023';
    end if;
    -- Bounded by p_max; stops at the first pick that finds nothing claimable.
    for i in 1..p_max loop
        return query select * from runs_claim(p_worker, p_lease_seconds);
        if not found then
            return;
        end if;
    end loop;
end
$$;

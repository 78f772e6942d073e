-- Ingest lag and the Kafka relay (issue 13, items 1 and 5).
--
-- outbox_feed_status says, after a feed position, where the feed ends now (its head) and how old the oldest committed
-- event still to be read is, by the database's own clock (so a reader's clock skew does not enter the lag). "Committed"
-- includes events the feed holds back behind an open transaction (txid >= the snapshot's xmin): they are not readable
-- yet, but they are waiting, and their age is part of the lag. The oldest is taken over the next 1000 events in feed
-- order (an index range, cheap at any backlog): occurred_at is the writing transaction's start, which follows txid
-- order except for transactions that started long before their first write.
create function outbox_feed_status(p_after_txid bigint, p_after_seq bigint)
returns table (o_head_txid bigint, o_head_seq bigint, o_oldest_pending_at timestamptz, o_at timestamptz)
language sql stable security definer set search_path = public, pg_temp as
$$
    select coalesce(h.txid, p_after_txid), coalesce(h.seq, p_after_seq),
           (select min(w.occurred_at)
            from (select e.occurred_at from event_outbox e
                  where (e.txid, e.seq) > (p_after_txid::text::xid8, p_after_seq)
                  order by e.txid, e.seq
                  limit 1000) w),
           clock_timestamp()
    from (select 1) one
    left join lateral (
        select e.txid::text::bigint as txid, e.seq from event_outbox e
        where e.txid < pg_snapshot_xmin(pg_current_snapshot())
          and (e.txid, e.seq) > (p_after_txid::text::xid8, p_after_seq)
        order by e.txid desc, e.seq desc
        limit 1) h on true
$$;

-- Where each relay (today one: 'kafka', the Api's OutboxRelay) has published the feed up to. It moves only after the
-- broker acknowledged every event up to the new position, so a crash republishes (at least once), never skips. One
-- Api replica holds a relay's lease at a time (the others wait), and only the holder may move it: a replica that lost
-- its lease while it was publishing cannot move the position back or forward.
create table outbox_relays (
    name         text primary key check (length(name) between 1 and 100),
    after_txid   bigint not null default 0,
    after_seq    bigint not null default 0,
    holder       text,
    lease_until  timestamptz,
    updated_at   timestamptz not null default now()
);
revoke all on outbox_relays from public;

-- Takes (or renews) the lease of relay p_name for p_holder when it is free, expired or already p_holder's; creates the
-- relay at the feed's start on first use. Returns whether p_holder holds it now, and the position to publish after.
create function outbox_relay_claim(p_name text, p_holder text, p_lease_seconds integer)
returns table (o_ok boolean, o_after_txid bigint, o_after_seq bigint)
language plpgsql volatile security definer set search_path = public, pg_temp as
$$
declare r record;
begin
    insert into outbox_relays (name) values (p_name) on conflict (name) do nothing;
    update outbox_relays set holder = p_holder, lease_until = now() + make_interval(secs => greatest(p_lease_seconds, 1))
    where name = p_name and (holder is null or holder = p_holder or lease_until < now())
    returning after_txid, after_seq into r;
    if found then
        return query select true, r.after_txid, r.after_seq;
    else
        return query select false, s.after_txid, s.after_seq from outbox_relays s where s.name = p_name;
    end if;
end
$$;

-- Moves relay p_name to (p_txid, p_seq) and renews the lease, only for the lease's holder and only forwards. Returns
-- false when p_holder no longer holds the lease (it must stop publishing and claim again).
create function outbox_relay_advance(p_name text, p_holder text, p_txid bigint, p_seq bigint, p_lease_seconds integer)
returns boolean
language sql volatile security definer set search_path = public, pg_temp as
$$
    with moved as (
        update outbox_relays
        set after_txid = case when (p_txid, p_seq) > (after_txid, after_seq) then p_txid else after_txid end,
            after_seq = case when (p_txid, p_seq) > (after_txid, after_seq) then p_seq else after_seq end,
            updated_at = now(),
            lease_until = now() + make_interval(secs => greatest(p_lease_seconds, 1))
        where name = p_name and holder = p_holder and lease_until >= now()
        returning 1)
    select exists (select 1 from moved)
$$;

-- Gives the lease up (a clean stop), so another replica takes over at once instead of after the lease.
create function outbox_relay_release(p_name text, p_holder text)
returns void
language sql volatile security definer set search_path = public, pg_temp as
$$
    update outbox_relays set holder = null, lease_until = null where name = p_name and holder = p_holder
$$;

-- A relay's position and when it last moved (no row: the relay never ran).
create function outbox_relay_position(p_name text)
returns table (o_after_txid bigint, o_after_seq bigint, o_updated_at timestamptz, o_holder text, o_lease_until timestamptz)
language sql stable security definer set search_path = public, pg_temp as
$$
    select after_txid, after_seq, updated_at, holder, lease_until from outbox_relays where name = p_name
$$;

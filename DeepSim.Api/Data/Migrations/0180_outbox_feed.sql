-- The outbox feed (issue 13): the analytics ingester reads every tenant's events through one audited function.
--
-- Order. seq is taken at insert, not at commit: a transaction that inserts seq 10 and commits after the one that
-- inserted seq 11 would slip behind a reader that already moved past 11. So every row records the transaction
-- that wrote it (txid), and the feed returns only rows whose transaction has ended for every snapshot
-- (txid < pg_snapshot_xmin of the current snapshot), ordered by (txid, seq). A transaction that starts later gets
-- a larger txid, so once a position (txid, seq) is returned nothing can ever appear before it: the feed is
-- append-only in that order and a reader needs only its last position. The cost: one long open write
-- transaction anywhere holds the feed back until it ends (it delays, it never loses).
alter table event_outbox add column txid xid8 not null default pg_current_xact_id();
create index event_outbox_feed on event_outbox (txid, seq);

-- Cross-tenant by nature, so SECURITY DEFINER (runs as the owner: the tenant policy's is_platform_path() holds).
-- Returns only the feed columns; the application role can read nothing else of other tenants through it. Bounded:
-- at most 1000 rows a call, whatever p_limit says. Positions after (p_after_txid, p_after_seq), exclusive.
create function outbox_feed(p_after_txid bigint, p_after_seq bigint, p_limit integer)
returns table (o_txid bigint, o_seq bigint, o_id uuid, o_tenant_id uuid, o_type text, o_occurred_at timestamptz, o_payload text)
language sql stable security definer set search_path = public, pg_temp as
$$
    select e.txid::text::bigint, e.seq, e.id, e.tenant_id, e.type, e.occurred_at, e.payload::text
    from event_outbox e
    where (e.txid, e.seq) > (p_after_txid::text::xid8, p_after_seq)
      and e.txid < pg_snapshot_xmin(pg_current_snapshot())
    order by e.txid, e.seq
    limit least(greatest(p_limit, 0), 1000)
$$;

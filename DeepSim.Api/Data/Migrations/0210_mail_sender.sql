-- The mail sender (issue 15, item 6): mail_outbox rows are sent over SMTP by the Api's MailSender. Each row is leased
-- while it is being sent (a sender that dies leaves it to the next after the lease), retried with a growing delay,
-- and given up after 20 attempts (the row stays, with the last error, for an operator to see).
alter table mail_outbox add column attempts integer not null default 0;
alter table mail_outbox add column next_attempt_at timestamptz not null default now();
alter table mail_outbox add column locked_until timestamptz;
alter table mail_outbox add column last_error text;
create index mail_outbox_pending on mail_outbox (next_attempt_at) where sent_at is null;

-- Cross-tenant by nature (one sender for the platform), so SECURITY DEFINER: it returns only what sending needs.
create function mail_outbox_claim(p_limit integer, p_lease interval)
returns table (o_id uuid, o_to text, o_subject text, o_body text, o_attempts integer)
language sql volatile security definer set search_path = public, pg_temp as
$$
    update mail_outbox m set locked_until = now() + p_lease, attempts = m.attempts + 1
    where m.id in (
        select x.id from mail_outbox x
        where x.sent_at is null and x.next_attempt_at <= now() and (x.locked_until is null or x.locked_until < now()) and x.attempts < 20
        order by x.created_at
        limit least(greatest(p_limit, 0), 100)
        for update skip locked)
    returning m.id, m.to_address, m.subject, m.body, m.attempts
$$;

create function mail_outbox_sent(p_id uuid) returns void
language sql volatile security definer set search_path = public, pg_temp as
$$ update mail_outbox set sent_at = now(), locked_until = null, last_error = null where id = p_id $$;

create function mail_outbox_failed(p_id uuid, p_error text, p_retry_in interval) returns void
language sql volatile security definer set search_path = public, pg_temp as
$$ update mail_outbox set locked_until = null, last_error = left(p_error, 500), next_attempt_at = now() + p_retry_in where id = p_id $$;

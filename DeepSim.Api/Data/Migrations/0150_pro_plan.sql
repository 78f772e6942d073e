-- The product's plans are free, pro and enterprise (issue 5); 0001 called the middle one 'team'.
-- The plans table (0100) is the one place plan names and limits live.
update tenants set plan = 'pro' where plan = 'team';
delete from plans where name = 'team';

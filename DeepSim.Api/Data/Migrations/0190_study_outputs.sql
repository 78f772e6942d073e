-- The results a study tabulates, chosen by the person ("STREAM.field", "UNIT.field"); null keeps the default columns
-- (each stream's temperature, pressure, vapour fraction and molar flow).
alter table studies add column outputs jsonb;

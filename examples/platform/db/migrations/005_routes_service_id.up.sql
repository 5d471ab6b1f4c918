ALTER TABLE routes ADD COLUMN service_id bigint;

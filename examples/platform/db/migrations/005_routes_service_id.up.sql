SET lock_timeout = '2s';
ALTER TABLE routes ADD COLUMN service_id bigint;

ALTER TABLE routes DROP COLUMN service_id;

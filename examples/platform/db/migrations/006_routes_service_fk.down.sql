ALTER TABLE routes DROP CONSTRAINT routes_service_fk;

-- Back to the state after 006: the key unvalidated, the values unset.
ALTER TABLE routes DROP CONSTRAINT routes_service_fk;
ALTER TABLE routes ADD CONSTRAINT routes_service_fk FOREIGN KEY (service_id) REFERENCES services (id) NOT VALID;
UPDATE routes SET service_id = NULL;

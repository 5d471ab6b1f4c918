SET lock_timeout = '2s';
-- NOT VALID: no scan of routes under the lock; validated in the next migration.
ALTER TABLE routes ADD CONSTRAINT routes_service_fk FOREIGN KEY (service_id) REFERENCES services (id) NOT VALID;

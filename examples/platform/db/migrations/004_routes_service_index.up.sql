-- Alone in its file, so golang-migrate runs it outside a transaction (and so without a
-- SET lock_timeout before it). hoist:allow missing-lock-timeout
CREATE INDEX CONCURRENTLY routes_service_idx ON routes (service);

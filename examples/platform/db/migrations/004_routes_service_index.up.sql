-- Alone in its file, so golang-migrate runs it outside a transaction.
CREATE INDEX CONCURRENTLY routes_service_idx ON routes (service);

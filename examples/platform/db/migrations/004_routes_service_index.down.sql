DROP INDEX CONCURRENTLY routes_service_idx;

DROP INDEX routes_id;

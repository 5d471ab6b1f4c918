SET lock_timeout = '2s';
-- hoist:allow rename (the router reads the column through the routes_v view since 0.9)
ALTER TABLE routes RENAME COLUMN path TO route_path;

-- hoist:allow rename
ALTER TABLE routes RENAME COLUMN route_path TO path;

SET lock_timeout = '1s';
CREATE INDEX routes_id ON routes (id);

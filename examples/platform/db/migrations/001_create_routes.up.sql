SET lock_timeout = '2s';
CREATE TABLE routes (id BIGINT PRIMARY KEY, path TEXT NOT NULL UNIQUE, service TEXT NOT NULL);

CREATE TABLE routes (id bigint PRIMARY KEY, path text NOT NULL);

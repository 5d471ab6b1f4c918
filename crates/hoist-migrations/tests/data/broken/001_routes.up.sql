CREATE TABLE routes (id bigint PRIMARY KEY);

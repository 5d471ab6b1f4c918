SET lock_timeout = '2s';
CREATE TYPE route_kind AS ENUM ('http', 'grpc');
ALTER TABLE routes ADD COLUMN kind route_kind;

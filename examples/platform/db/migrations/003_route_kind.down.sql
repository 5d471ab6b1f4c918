ALTER TABLE routes DROP COLUMN kind;
DROP TYPE route_kind;

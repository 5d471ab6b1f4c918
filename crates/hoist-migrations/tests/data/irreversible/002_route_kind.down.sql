-- Forgets the type: the down leaves route_kind behind.
ALTER TABLE routes DROP COLUMN kind;

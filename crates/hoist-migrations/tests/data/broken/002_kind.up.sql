ALTER TABLE routes ADD COLUMN kind text;
CREAT INDEX routes_kind ON routes (kind);

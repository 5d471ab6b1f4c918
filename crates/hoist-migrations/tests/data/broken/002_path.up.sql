ALTER TABLE routes ADD COLUMN path text;

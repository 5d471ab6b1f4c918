ALTER TABLE routes ADD COLUMN note text;

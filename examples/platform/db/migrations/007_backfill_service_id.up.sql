SET lock_timeout = '2s';
INSERT INTO services (name) SELECT DISTINCT service FROM routes ON CONFLICT (name) DO NOTHING;
UPDATE routes SET service_id = services.id FROM services WHERE services.name = routes.service AND routes.service_id IS NULL;
ALTER TABLE routes VALIDATE CONSTRAINT routes_service_fk;

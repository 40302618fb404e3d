"""What the database itself enforces about zones: valid geometry, code length per level,
and a parent exactly one level up whose code prefixes the child's."""
from django.db import migrations

FORWARD = r"""
ALTER TABLE geodata_zone ADD CONSTRAINT zone_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom));
ALTER TABLE geodata_zone ADD CONSTRAINT zone_code_length_matches_level CHECK (
    length(code) = (ARRAY[6, 9, 11, 14, 17])[level + 1]
);
CREATE OR REPLACE FUNCTION geodata_zone_check_parent() RETURNS trigger AS $$
DECLARE
    parent_level smallint;
    parent_code text;
BEGIN
    IF NEW.parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT level, code INTO parent_level, parent_code FROM geodata_zone WHERE id = NEW.parent_id;
    IF parent_level <> NEW.level - 1 THEN
        RAISE EXCEPTION 'zone %: parent % is at level %, expected %', NEW.code, parent_code, parent_level, NEW.level - 1
            USING ERRCODE = 'check_violation';
    END IF;
    IF left(NEW.code, length(parent_code)) <> parent_code THEN
        RAISE EXCEPTION 'zone %: code does not start with its parent''s code %', NEW.code, parent_code
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER geodata_zone_parent_level
    BEFORE INSERT OR UPDATE OF parent_id, level, code ON geodata_zone
    FOR EACH ROW EXECUTE FUNCTION geodata_zone_check_parent();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS geodata_zone_parent_level ON geodata_zone;
DROP FUNCTION IF EXISTS geodata_zone_check_parent();
ALTER TABLE geodata_zone DROP CONSTRAINT IF EXISTS zone_code_length_matches_level;
ALTER TABLE geodata_zone DROP CONSTRAINT IF EXISTS zone_geom_valid;
"""


class Migration(migrations.Migration):
    dependencies = [("geodata", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

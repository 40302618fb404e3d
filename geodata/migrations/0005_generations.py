"""Boundary generations (issue 18, MapIt's model).

Existing zones become generation 1, in force from before anything recorded against them (the
earliest incident's day, else today), still current. `code` stops being globally unique: it is
unique among current zones (a partial unique index, which also serves lookups by code) and, over
history, no two rows of one code may share a generation (an exclusion constraint over the
generation range, hence btree_gist). The parent trigger also checks that a zone's parent is valid
in every generation the zone is, and that a zone is not closed while a child stays open.
"""
from importlib import import_module

import django.contrib.postgres.constraints
import django.db.models.deletion
import django.db.models.manager
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations, models

import geodata.models


def first_generation(apps, schema_editor):
    Zone = apps.get_model("geodata", "Zone")
    Generation = apps.get_model("geodata", "Generation")
    if not Zone.objects.exists():
        return  # a fresh database: the first import (or zone) opens generation 1
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('incidents_incident') IS NOT NULL")
        since = None
        if cursor.fetchone()[0]:
            cursor.execute("SELECT min(reported_at)::date FROM incidents_incident")
            since = cursor.fetchone()[0]
        cursor.execute("SELECT current_date")
        today = cursor.fetchone()[0]
    generation = Generation.objects.create(valid_from=min(filter(None, [since, today])),
                                           description="initial grid (zones loaded before generations)")
    Zone.objects.update(generation_low=generation)


TRIGGER = r"""
CREATE OR REPLACE FUNCTION geodata_zone_check_parent() RETURNS trigger AS $$
DECLARE
    parent_level smallint;
    parent_code text;
    parent_low bigint;
    parent_high bigint;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.generation_high_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM geodata_zone c WHERE c.parent_id = NEW.id
          AND (c.generation_high_id IS NULL OR c.generation_high_id > NEW.generation_high_id)) THEN
        RAISE EXCEPTION 'zone %: cannot close it at generation % while a child stays valid after it',
            NEW.code, NEW.generation_high_id USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT level, code, generation_low_id, generation_high_id INTO parent_level, parent_code, parent_low, parent_high
        FROM geodata_zone WHERE id = NEW.parent_id;
    IF parent_level <> NEW.level - 1 THEN
        RAISE EXCEPTION 'zone %: parent % is at level %, expected %', NEW.code, parent_code, parent_level, NEW.level - 1
            USING ERRCODE = 'check_violation';
    END IF;
    IF left(NEW.code, length(parent_code)) <> parent_code THEN
        RAISE EXCEPTION 'zone %: code does not start with its parent''s code %', NEW.code, parent_code
            USING ERRCODE = 'check_violation';
    END IF;
    IF parent_low > NEW.generation_low_id OR (parent_high IS NOT NULL
            AND (NEW.generation_high_id IS NULL OR NEW.generation_high_id > parent_high)) THEN
        RAISE EXCEPTION 'zone %: parent % is not valid in every generation the zone is', NEW.code, parent_code
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS geodata_zone_parent_level ON geodata_zone;
CREATE TRIGGER geodata_zone_parent_level
    BEFORE INSERT OR UPDATE OF parent_id, level, code, generation_low_id, generation_high_id ON geodata_zone
    FOR EACH ROW EXECUTE FUNCTION geodata_zone_check_parent();
"""

# Backward: 0002's trigger function and trigger, as they were.
_INVARIANTS = import_module("geodata.migrations.0002_zone_db_invariants").FORWARD
TRIGGER_BACKWARD = ("DROP TRIGGER IF EXISTS geodata_zone_parent_level ON geodata_zone;\n"
                    + _INVARIANTS[_INVARIANTS.index("CREATE OR REPLACE FUNCTION"):])


class Migration(migrations.Migration):

    dependencies = [
        ('geodata', '0004_road_graph'),
    ]

    operations = [
        BtreeGistExtension(),
        migrations.CreateModel(
            name='Generation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created', models.DateTimeField(auto_now_add=True)),
                ('description', models.CharField(blank=True, max_length=255)),
                ('valid_from', models.DateField()),
                ('valid_to', models.DateField(blank=True, null=True)),
            ],
            options={
                'ordering': ['id'],
                'constraints': [models.UniqueConstraint(fields=('valid_to',), name='generation_one_current', nulls_distinct=False), models.CheckConstraint(condition=models.Q(('valid_to__isnull', True), ('valid_to__gte', models.F('valid_from')), _connector='OR'), name='generation_valid_period')],
            },
        ),
        migrations.AlterModelOptions(
            name='zone',
            options={'base_manager_name': 'all_generations', 'ordering': ['code']},
        ),
        migrations.AlterModelManagers(
            name='zone',
            managers=[
                ('objects', django.db.models.manager.Manager()),
                ('all_generations', django.db.models.manager.Manager()),
            ],
        ),
        migrations.AddField(
            model_name='zone',
            name='generation_low',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='geodata.generation'),
        ),
        migrations.AddField(
            model_name='zone',
            name='generation_high',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='geodata.generation'),
        ),
        migrations.RunPython(first_generation, migrations.RunPython.noop),
        # NOT NULL first, then the (Python-only) default: setting both at once would make the
        # schema editor call the default to fill NULL rows, and there are none left.
        migrations.AlterField(
            model_name='zone',
            name='generation_low',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='geodata.generation'),
        ),
        migrations.AlterField(
            model_name='zone',
            name='generation_low',
            field=models.ForeignKey(db_index=False, default=geodata.models.current_generation_id, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='geodata.generation'),
        ),
        migrations.AddConstraint(
            model_name='zone',
            constraint=models.UniqueConstraint(condition=models.Q(('generation_high__isnull', True)), fields=('code',), name='zone_code_unique_current'),
        ),
        migrations.AlterField(
            model_name='zone',
            name='code',
            field=models.CharField(max_length=17),
        ),
        migrations.AddIndex(
            model_name='zone',
            index=models.Index(condition=models.Q(('generation_high__isnull', True)), fields=['code'], name='zone_code_current_like', opclasses=['varchar_pattern_ops']),
        ),
        # Locate's index: the current micro-grids only (raw SQL: the PostGIS schema editor would
        # drop the condition of a GistIndex on a geometry field).
        migrations.RunSQL(
            "CREATE INDEX zone_current_grid_geom ON geodata_zone USING gist (geom) "
            "WHERE level = 4 AND generation_high_id IS NULL",
            "DROP INDEX IF EXISTS zone_current_grid_geom",
        ),
        migrations.AddConstraint(
            model_name='zone',
            constraint=django.contrib.postgres.constraints.ExclusionConstraint(expressions=[(models.F('code'), '='), (geodata.models.Int8Range(models.F('generation_low'), models.F('generation_high'), models.Value('[]')), '&&')], name='zone_code_one_per_generation'),
        ),
        migrations.AddConstraint(
            model_name='zone',
            constraint=models.CheckConstraint(condition=models.Q(('generation_high__isnull', True), ('generation_high__gte', models.F('generation_low')), _connector='OR'), name='zone_generation_order'),
        ),
        migrations.RunSQL(TRIGGER, TRIGGER_BACKWARD),
    ]

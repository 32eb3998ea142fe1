"""Three indexes nothing searches by: each cost seconds to rebuild after a bulk load of 2,000,000 people.

* person.name_initials: searched through person_initials_idx (name_initials, area_path), which starts with it;
* person.needs_review: shown on the page, never filtered on;
* household.area: household_room_idx (area, floor, room) starts with it.

Only the indexes are dropped (DROP INDEX, by the names Django gave them): altering the fields the usual way
would rebuild both tables on SQLite, losing the counter triggers made by 0003.
"""

import django.db.models.deletion
from django.db import migrations, models

DROPPED = {
    # index: (table, column); PostgreSQL also has a *_like (varchar_pattern_ops) twin for the text column
    "residents_person_name_initials_6aee58c2": ("residents_person", "name_initials"),
    "residents_person_needs_review_946fc9b1": ("residents_person", "needs_review"),
    "residents_household_area_id_12a4b7b8": ("residents_household", "area_id"),
}


def drop(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        for name in DROPPED:
            cur.execute(f'DROP INDEX IF EXISTS "{name}"')
            if schema_editor.connection.vendor == "postgresql":
                cur.execute(f'DROP INDEX IF EXISTS "{name}_like"')


def restore(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        for name, (table, column) in DROPPED.items():
            cur.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')


class Migration(migrations.Migration):

    dependencies = [
        ("areas", "0001_initial"),
        ("residents", "0003_area_counters"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, restore)],
            state_operations=[
                migrations.AlterField(
                    model_name="household",
                    name="area",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="households", to="areas.area", verbose_name="区域"),
                ),
                migrations.AlterField(
                    model_name="person",
                    name="name_initials",
                    field=models.CharField(blank=True, max_length=30, verbose_name="拼音首字母"),
                ),
                migrations.AlterField(
                    model_name="person",
                    name="needs_review",
                    field=models.BooleanField(default=False, verbose_name="待核实"),
                ),
            ],
        ),
    ]

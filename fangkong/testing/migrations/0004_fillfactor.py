"""Room on every page of the two tables whose rows are updated in place (PostgreSQL only).

A tube's count is updated with every request that binds people to it, and its result once; a round
sample's state changes when its tube's result comes (and again on a recall). With full pages every
such update writes a new row version elsewhere and a new entry in every index (the tube table has
seven); with room on the page PostgreSQL updates "HOT": same page, no index touched. At 2,000,000
people this is most of the time of the results' fan-out. Existing rows move on their next rewrite
(VACUUM FULL / CLUSTER); new pages follow at once.
"""

from django.db import migrations

TABLES = {"testing_tube": 50, "testing_roundsample": 50}


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, fillfactor in TABLES.items():
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {fillfactor})")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("testing", "0003_binding_client_id_constraint")]

    operations = [migrations.RunPython(forwards, backwards)]

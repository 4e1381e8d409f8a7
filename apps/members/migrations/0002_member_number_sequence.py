"""Member numbers come from a per-gym sequence: unique under concurrency and never reused,
even after a member is deleted (a printed card must not point at someone else)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]

    operations = [
        migrations.RunSQL(
            # Unqualified: created in the schema being migrated (each gym, the template).
            "CREATE SEQUENCE IF NOT EXISTS member_number_seq",
            reverse_sql="DROP SEQUENCE IF EXISTS member_number_seq",
        ),
    ]

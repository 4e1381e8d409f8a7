from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("goals", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="challengeparticipant",
            name="progress_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="progress reached at"
            ),
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("digests", "0003_alerts_suppression_batch_claims"),
    ]

    operations = [
        migrations.AlterField(
            model_name="suppression",
            name="reason",
            field=models.CharField(
                choices=[
                    ("hard_bounce", "Permanent bounce"),
                    ("complaint", "Spam complaint"),
                    ("manual", "Added by an operator"),
                    ("soft_bounces", "Repeated temporary failures"),
                ],
                max_length=12,
            ),
        ),
    ]

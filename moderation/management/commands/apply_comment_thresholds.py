"""Apply the comment model's proposed thresholds to the policy rows (never a moderator's value)."""

from django.core.management.base import BaseCommand, CommandError

from moderation import thresholds


class Command(BaseCommand):
    help = (
        "Set the comment and profile policy thresholds to those the model in use proposes (chosen on the "
        "validation split at training); rows a moderator changed in the admin are left as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="report what would change, change nothing")

    def handle(self, *args, **opts):
        try:
            proposed = thresholds.proposed_thresholds()
        except thresholds.ThresholdError as exc:
            raise CommandError(str(exc)) from exc
        report = thresholds.thresholds_apply(thresholds=proposed, dry_run=opts["dry_run"])
        for key in report["kept"]:
            self.stderr.write(f"kept {key}: changed by a moderator")
        self.stdout.write(
            f"changed={len(report['changed'])} kept={len(report['kept'])} same={len(report['same'])}"
            + (" dry_run=1" if opts["dry_run"] else "")
        )

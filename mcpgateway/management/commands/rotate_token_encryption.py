"""Re-encrypt every stored Spotify token under the newest TOKEN_ENCRYPTION_KEYS key.

Rotation: put the new key first in TOKEN_ENCRYPTION_KEYS (keep the old ones after it), deploy, run
this command, then drop the old keys. Tokens are decrypted and re-encrypted in memory only.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from mcpgateway.core.crypto import SecretToken, TokenDecryptionError, reencrypt_token
from mcpgateway.spotify.models import SpotifyGrant


class Command(BaseCommand):
    help = "Re-encrypt stored Spotify tokens with the newest token-encryption key."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size: int, **options):
        ids = list(SpotifyGrant.objects.order_by("pk").values_list("pk", flat=True))
        self.stdout.write(f"Re-encrypting the tokens of {len(ids)} Spotify grants...")
        done = failed = 0
        for start in range(0, len(ids), batch_size):
            with transaction.atomic():
                for grant in SpotifyGrant.objects.select_for_update().filter(pk__in=ids[start : start + batch_size]):
                    changes = {}
                    try:
                        for name in ("access_token", "refresh_token"):
                            token = getattr(grant, name)
                            if token is not None:
                                changes[name] = SecretToken(reencrypt_token(token.ciphertext))
                    except TokenDecryptionError:
                        failed += 1
                        self.stderr.write(f"  grant {grant.pk}: cannot be decrypted with any configured key; left as is")
                        continue
                    # update(), not save(): a concurrent refresh's lease and generation stay untouched.
                    SpotifyGrant.objects.filter(pk=grant.pk).update(**changes)
                    done += 1
            self.stdout.write(f"  {min(start + batch_size, len(ids))}/{len(ids)}")
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {done} grants; {failed} could not be decrypted."))
        if failed:
            raise CommandError(f"{failed} grants could not be decrypted: is an old key missing from TOKEN_ENCRYPTION_KEYS?")

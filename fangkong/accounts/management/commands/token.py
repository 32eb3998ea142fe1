from django.core.management.base import BaseCommand, CommandError

from fangkong.accounts.models import ApiToken, User
from fangkong.accounts.services import token_create, token_revoke


class Command(BaseCommand):
    help = "API tokens for devices: `token create USERNAME [--name N]` prints the token once; list; revoke."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="op", required=True)
        create = sub.add_parser("create")
        create.add_argument("username")
        create.add_argument("--name", default="")
        listing = sub.add_parser("list")
        listing.add_argument("username")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("prefix")

    def handle(self, *args, op, **o):
        if op == "create":
            user = self._user(o["username"])
            _token, plain = token_create(actor=None, user=user, name=o["name"])
            self.stdout.write(plain)
        elif op == "list":
            for t in ApiToken.objects.filter(user=self._user(o["username"])):
                state = "revoked" if t.revoked_at else "active"
                self.stdout.write(f"{t.prefix}\t{state}\t{t.name}\tcreated {t.created_at:%Y-%m-%d %H:%M}\tlast used {t.last_used_at or '-'}")
        elif op == "revoke":
            token = ApiToken.objects.filter(prefix=o["prefix"]).first()
            if token is None:
                raise CommandError("no such token")
            token_revoke(actor=None, token=token)
            self.stdout.write(f"revoked {token.prefix}")

    def _user(self, username):
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"no user {username}") from None

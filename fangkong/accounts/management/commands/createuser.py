from django.core.management.base import BaseCommand, CommandError

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.accounts.services import role_assign, user_create, user_set_password
from fangkong.areas.models import Area
from fangkong.core.errors import ServiceError


class Command(BaseCommand):
    help = "Create a user with a role over an area (operator command; the audit log records actor 'system')."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--area", required=True, help="area code, e.g. 611002001000")
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="", help="display name")
        parser.add_argument("--update", action="store_true", help="if the user exists, add the role and reset the password")

    def handle(self, *args, username, role, area, password, name, update, **options):
        try:
            node = Area.objects.get(code=area)
        except Area.DoesNotExist:
            raise CommandError(f"no area with code {area}") from None
        existing = User.objects.filter(username=username).first()
        try:
            if existing is not None:
                if not update:
                    raise CommandError(f"user {username} exists (use --update to add the role)")
                role_assign(actor=None, user=existing, role=role, area=node)
                user_set_password(actor=None, user=existing, password=password)
                self.stdout.write(f"updated {username}: {role} @ {node.name} ({node.code})")
                return
            user_create(actor=None, username=username, password=password, role=role, area=node, display_name=name)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"created {username}: {role} @ {node.name} ({node.code})")

from fangkong.core.commands import DispatchCommand


class Command(DispatchCommand):
    help = "fangkong import SUBJECT …: the import subcommands of the domain apps (see <app>/cli.py)."
    kind = "IMPORT"

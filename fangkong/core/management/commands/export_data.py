from fangkong.core.commands import DispatchCommand


class Command(DispatchCommand):
    help = "fangkong export SUBJECT …: the export subcommands of the domain apps (see <app>/cli.py)."
    kind = "EXPORT"

from fangkong.core.commands import DispatchCommand


class Command(DispatchCommand):
    help = "fangkong bench SUBJECT …: the bench subcommands of the domain apps (see <app>/cli.py)."
    kind = "BENCH"

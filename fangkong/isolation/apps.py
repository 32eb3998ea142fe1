from django.apps import AppConfig


class IsolationConfig(AppConfig):
    name = "fangkong.isolation"
    label = "isolation"
    verbose_name = "隔离管控"

    def ready(self):
        from fangkong.areas.services import register_path_carrier
        from fangkong.isolation.models import (
            Episode,
            Escalation,
            GuardianTemplate,
            Need,
            OccupancySnapshot,
            Site,
            Task,
        )

        for model in (Site, Episode, Task, Need, Escalation, OccupancySnapshot, GuardianTemplate):
            register_path_carrier(model)
        register_path_carrier(Episode, "site_path")
        register_path_carrier(Task, "site_path")

from django.apps import AppConfig


class EpiConfig(AppConfig):
    name = "fangkong.epi"
    label = "epi"
    verbose_name = "流调与管控"

    def ready(self):
        from fangkong.areas.services import register_path_carrier
        from fangkong.epi import facts
        from fangkong.epi.models import (
            AssistItem,
            AssistList,
            Case,
            Contact,
            ContactSuggestion,
            ControlStatus,
            InvestigationEntry,
            ManualStatusRequest,
        )

        for model in (Case, InvestigationEntry, Contact, ContactSuggestion, ControlStatus, ManualStatusRequest,
                      AssistList, AssistItem):
            register_path_carrier(model)
        facts.register_builtin_providers()

from django.apps import AppConfig


class RiskAreasConfig(AppConfig):
    name = "fangkong.risk_areas"
    label = "risk_areas"
    verbose_name = "风险区域"

    def ready(self):
        from fangkong.areas.services import register_path_carrier
        from fangkong.risk_areas.models import Issuer, Notice, RiskArea

        for model in (RiskArea, Notice, Issuer):
            register_path_carrier(model)
        from django.apps import apps

        if apps.is_installed("fangkong.epi"):
            from fangkong.risk_areas import epi_facts

            epi_facts.register()

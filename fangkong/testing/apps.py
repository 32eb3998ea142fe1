from django.apps import AppConfig


class TestingConfig(AppConfig):
    name = "fangkong.testing"
    label = "testing"
    verbose_name = "核酸检测"

    def ready(self):
        from fangkong.areas.services import register_path_carrier
        from fangkong.testing import models as m

        for model in (m.Round, m.Site, m.Table, m.Tube, m.Box, m.RoundSample, m.Recall, m.RoundExemption,
                      m.CoverageCount):
            register_path_carrier(model)
        from django.apps import apps

        if apps.is_installed("fangkong.epi"):
            from fangkong.testing import epi_facts

            epi_facts.register()

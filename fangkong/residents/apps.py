from django.apps import AppConfig


class ResidentsConfig(AppConfig):
    name = "fangkong.residents"
    label = "residents"
    verbose_name = "人口台账"

    def ready(self):
        from fangkong.areas.services import register_path_carrier
        from fangkong.residents.models import Campaign, CareTag, Household, ImportJob, Person, Visit

        for model in (Household, Person, CareTag, ImportJob, Campaign, Visit):
            register_path_carrier(model)

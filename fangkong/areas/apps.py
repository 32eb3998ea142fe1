from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "fangkong.areas"
    label = "areas"
    verbose_name = "辖区"

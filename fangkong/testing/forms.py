from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from fangkong.testing.choices import CAPACITIES
from fangkong.testing.models import Site

DT = forms.DateTimeInput(attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M")


class RoundForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=120, widget=forms.TextInput(attrs={"class": "form-control"}))
    area = forms.CharField(label=_("发起区域代码"), widget=forms.TextInput(attrs={"class": "form-control"}))
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=DT, input_formats=["%Y-%m-%dT%H:%M"])
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=DT, input_formats=["%Y-%m-%dT%H:%M"])
    infant_age_years = forms.IntegerField(label=_("免检婴幼儿（未满几岁）"), initial=3, min_value=0, max_value=6,
                                          widget=forms.NumberInput(attrs={"class": "form-control"}))
    areas = forms.CharField(
        label=_("筛查区域与采样方式"),
        help_text=_("每行一个区域：区域代码 方式 [每管人数]。方式：pool（混管，默认 10）、single（单管）、household（一户一管）。"),
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 5, "placeholder": "611002001000 pool 10"}))


class SiteForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=120, widget=forms.TextInput(attrs={"class": "form-control"}))
    area = forms.CharField(label=_("所在区域代码"), widget=forms.TextInput(attrs={"class": "form-control"}))
    kind = forms.ChoiceField(label=_("类型"), choices=Site.Kind.choices, widget=forms.Select(attrs={"class": "form-select"}))
    address = forms.CharField(label=_("地址"), required=False, widget=forms.TextInput(attrs={"class": "form-control"}))
    hours = forms.CharField(label=_("开放时间"), required=False, widget=forms.TextInput(attrs={"class": "form-control"}))
    tables = forms.IntegerField(label=_("采样台数量"), initial=2, min_value=0, max_value=50,
                                widget=forms.NumberInput(attrs={"class": "form-control"}))


class TubeStartForm(forms.Form):
    round = forms.TypedChoiceField(label=_("轮次"), coerce=int, widget=forms.Select(attrs={"class": "form-select"}))
    table = forms.TypedChoiceField(label=_("采样台"), coerce=int, widget=forms.Select(attrs={"class": "form-select"}))
    tube = forms.CharField(label=_("扫描管码"), max_length=40, widget=forms.TextInput(
        attrs={"class": "form-control form-control-lg", "autofocus": True, "autocomplete": "off",
               "inputmode": "text", "data-testid": "tube-input"}))
    capacity = forms.TypedChoiceField(label=_("试管容量"), coerce=int, initial=10,
                                      choices=[(c, format_lazy(_("{k}混1"), k=c) if c > 1 else _("单管")) for c in CAPACITIES],
                                      widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, rounds=(), tables=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["round"].choices = [(r.pk, r.name) for r in rounds]
        self.fields["table"].choices = [(t.pk, f"{t.site.name} {t.name}") for t in tables]


class ResultsUploadForm(forms.Form):
    file = forms.FileField(label=_("结果文件（CSV 或 Excel）"),
                           help_text=_("列：管码、检测结果（阴性/阳性/无效 或 negative/positive/invalid）"),
                           widget=forms.ClearableFileInput(attrs={"class": "form-control"}))

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.areas.choices import KINDS_BY_LEVEL, Kind


class AreaCreateForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100, widget=forms.TextInput(attrs={"class": "form-control"}))
    kind = forms.ChoiceField(label=_("类型"), choices=(), widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, level: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, Kind(k).label) for k in KINDS_BY_LEVEL.get(level, [])]


class AreaRenameForm(forms.Form):
    name = forms.CharField(label=_("新名称"), max_length=100, widget=forms.TextInput(attrs={"class": "form-control"}))
    keep_alias = forms.BooleanField(label=_("保留旧名称为别名"), required=False, initial=True,
                                    widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))
    reason = forms.CharField(label=_("理由"), required=False, max_length=500,
                             widget=forms.TextInput(attrs={"class": "form-control"}))


class AreaMoveForm(forms.Form):
    new_parent = forms.CharField(label=_("新上级的代码"), max_length=40,
                                 widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "numeric"}))
    reason = forms.CharField(label=_("理由"), max_length=500, widget=forms.TextInput(attrs={"class": "form-control"}))


class AreaRetireForm(forms.Form):
    reason = forms.CharField(label=_("撤销理由"), max_length=500, widget=forms.TextInput(attrs={"class": "form-control"}))


class AliasForm(forms.Form):
    name = forms.CharField(label=_("别名"), max_length=100, widget=forms.TextInput(attrs={"class": "form-control"}))
    note = forms.CharField(label=_("说明"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"class": "form-control"}))

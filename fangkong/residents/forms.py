from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.residents.choices import ID_TYPE_CHOICES, CareTagKind, Relationship, ResidenceType, Sex
from fangkong.residents.models import VisitOutcome

T = {"class": "form-control"}
S = {"class": "form-select"}


class PersonForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=60, widget=forms.TextInput(attrs=T))
    id_type = forms.ChoiceField(label=_("证件类型"), choices=ID_TYPE_CHOICES, initial="citizen_id",
                                widget=forms.Select(attrs=S))
    id_number = forms.CharField(label=_("证件号码"), max_length=40, widget=forms.TextInput(attrs=T))
    sex = forms.ChoiceField(label=_("性别"), choices=[("", "—"), *Sex.choices], required=False,
                            widget=forms.Select(attrs=S), help_text=_("居民身份证可不填，由证件号码得出"))
    birth_date = forms.DateField(label=_("出生日期"), required=False,
                                 widget=forms.DateInput(attrs={**T, "type": "date"}, format="%Y-%m-%d"))
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False,
                            widget=forms.TextInput(attrs={**T, "inputmode": "tel"}))
    residence_type = forms.ChoiceField(label=_("人口类型"), choices=ResidenceType.choices, initial="resident",
                                       widget=forms.Select(attrs=S))
    relationship = forms.ChoiceField(label=_("与户主关系"), choices=[("", "—"), *Relationship.choices],
                                     required=False, widget=forms.Select(attrs=S))
    workplace = forms.CharField(label=_("工作单位"), max_length=200, required=False, widget=forms.TextInput(attrs=T))
    care_tags = forms.MultipleChoiceField(label=_("关爱标签"), choices=CareTagKind.choices, required=False,
                                          widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={**T, "rows": 2}))


class PersonEditForm(PersonForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["id_type"]
        del self.fields["id_number"]


class HouseholdForm(forms.Form):
    room = forms.CharField(label=_("房号"), max_length=20, required=False, widget=forms.TextInput(attrs=T))
    house_number = forms.CharField(label=_("门牌号（农村住户）"), max_length=40, required=False,
                                   widget=forms.TextInput(attrs=T))
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={**T, "rows": 2}))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("台账文件"), help_text=_("xlsx、xls、ods 或 csv（UTF-8/GBK）"),
                           widget=forms.ClearableFileInput(attrs={**T, "accept": ".xlsx,.xls,.ods,.csv"}))
    area = forms.CharField(label=_("导入区域代码"), max_length=40, widget=forms.TextInput(attrs=T),
                           help_text=_("文件中的住户必须在此区域内"))


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100, initial=_("敲门行动"), widget=forms.TextInput(attrs=T))
    area = forms.CharField(label=_("区域代码"), max_length=40, widget=forms.TextInput(attrs=T))


class VisitForm(forms.Form):
    outcome = forms.ChoiceField(label=_("结果"), choices=VisitOutcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("备注"), max_length=300, required=False, widget=forms.TextInput(attrs=T))

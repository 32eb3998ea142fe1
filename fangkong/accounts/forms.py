from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.roles import Role

_text = {"class": "form-control"}


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150, widget=forms.TextInput(attrs=_text))
    display_name = forms.CharField(label=_("姓名"), max_length=50, required=False, widget=forms.TextInput(attrs=_text))
    phone = forms.CharField(label=_("电话"), max_length=20, required=False, widget=forms.TextInput(attrs=_text))
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput(attrs=_text), min_length=8)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices, widget=forms.Select(attrs={"class": "form-select"}))
    area = forms.CharField(label=_("区域代码"), max_length=40, widget=forms.TextInput(attrs=_text),
                           help_text=_("角色生效的区域，例如社区或网格的代码。"))


class AssignForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices, widget=forms.Select(attrs={"class": "form-select"}))
    area = forms.CharField(label=_("区域代码"), max_length=40, widget=forms.TextInput(attrs=_text))


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100, required=False, widget=forms.TextInput(attrs=_text),
                           help_text=_("例如：城关街道1号采样点终端"))


class PasswordForm(forms.Form):
    password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput(attrs=_text))

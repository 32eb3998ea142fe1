from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.epi.models import AssistOutcome, CaseKind, ContactCategory
from fangkong.epi.rules import PHASE_KINDS, load_rulesets

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # ISO: what <input type=date> reads
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def situation_choices():
    seen = {}
    for rs in load_rulesets():
        for s in rs.contact.situations:
            seen[s.code] = f"{s.number}. {s.text}"
    return [("", "—")] + sorted(seen.items(), key=lambda kv: kv[1])


class PersonField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("证件号码"))
        kwargs.setdefault("help_text", _("居民的身份证号（或其他证件号）"))
        super().__init__(max_length=40, **kwargs)


class CaseForm(forms.Form):
    id_number = PersonField()
    kind = forms.ChoiceField(label=_("类型"), choices=CaseKind.choices)
    onset_date = forms.DateField(label=_("发病日期"), required=False, widget=DATE)
    sampled_date = forms.DateField(label=_("阳性采样日期"), required=False, widget=DATE)
    isolated_date = forms.DateField(label=_("隔离/收治日期"), required=False, widget=DATE)
    home_address = forms.CharField(label=_("居住地"), required=False, max_length=300)
    work_address = forms.CharField(label=_("工作地"), required=False, max_length=300)
    investigation = forms.CharField(label=_("流调记录"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class CaseEditForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=CaseKind.choices)
    onset_date = forms.DateField(label=_("发病日期"), required=False, widget=DATE)
    sampled_date = forms.DateField(label=_("阳性采样日期"), required=False, widget=DATE)
    isolated_date = forms.DateField(label=_("隔离/收治日期"), required=False, widget=DATE)
    released_date = forms.DateField(label=_("解除/出院日期"), required=False, widget=DATE,
                                    help_text=_("填写后，病例本人的管控状态到此日结束"))
    home_address = forms.CharField(label=_("居住地"), required=False, max_length=300)
    work_address = forms.CharField(label=_("工作地"), required=False, max_length=300)
    investigation = forms.CharField(label=_("流调记录"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    reason = forms.CharField(label=_("修改说明"), required=False, max_length=300)


class EntryForm(forms.Form):
    place = forms.CharField(label=_("地点"), max_length=200)
    started_at = forms.DateTimeField(label=_("开始时间"), widget=DATETIME)
    ended_at = forms.DateTimeField(label=_("结束时间"), required=False, widget=DATETIME)
    note = forms.CharField(label=_("说明"), required=False, max_length=1000)


class ContactForm(forms.Form):
    id_number = PersonField()
    category = forms.ChoiceField(label=_("类别"), choices=ContactCategory.choices)
    contact_date = forms.DateField(label=_("末次接触日期"), widget=DATE)
    situation = forms.ChoiceField(label=_("判定情形"), required=False, choices=())
    via = forms.IntegerField(label=_("经由密接（编号，仅密接的密接）"), required=False)
    note = forms.CharField(label=_("说明"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["situation"].choices = situation_choices()


class ConfirmForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", _("确认为接触者")), ("dismiss", _("排除"))])
    category = forms.ChoiceField(label=_("类别"), choices=ContactCategory.choices, required=False)
    contact_date = forms.DateField(label=_("末次接触日期"), required=False, widget=DATE)
    situation = forms.CharField(required=False, max_length=40)
    reason = forms.CharField(required=False, max_length=300)


class ManualRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("管控方式"), choices=list(PHASE_KINDS.items()))
    start = forms.DateField(label=_("开始日期"), widget=DATE)
    end = forms.DateField(label=_("结束日期"), widget=DATE, help_text=_("人工管控必须有结束日期"))
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("写明依据；须另一位流调/疾控人员审批后生效"))


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("批准")), ("reject", _("驳回"))])
    note = forms.CharField(label=_("意见"), required=False, max_length=300)


class OverrideForm(forms.Form):
    county = forms.CharField(label=_("区县代码"), max_length=20)
    ruleset_id = forms.ChoiceField(label=_("方案"), choices=())
    path = forms.CharField(label=_("项目路径"), max_length=120,
                           help_text=_("例如 close_contact.phases.1.days、contact.lookback_days"))
    value = forms.CharField(label=_("新值"), max_length=200, help_text=_("数字、文字，或以逗号分隔的检测日如 1,3"))
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ruleset_id"].choices = [(r.id, r.short_name) for r in load_rulesets()]

    def clean_value(self):
        raw = self.cleaned_data["value"].strip()
        if raw.lstrip("-").isdigit():
            return int(raw)
        if "," in raw or "，" in raw:
            parts = [p.strip() for p in raw.replace("，", ",").split(",") if p.strip()]
            if all(p.isdigit() for p in parts):
                return [int(p) for p in parts]
        return raw


class AssistUploadForm(forms.Form):
    area = forms.CharField(label=_("下发区域代码"), max_length=20, help_text=_("名单所属区县（或街道）的代码"))
    title = forms.CharField(label=_("名称"), max_length=200)
    reason = forms.CharField(label=_("协查原因"), max_length=300)
    deadline = forms.DateTimeField(label=_("反馈时限"), widget=DATETIME)
    file = forms.FileField(label=_("名单文件（xlsx/csv）"))


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("处置结果"), choices=AssistOutcome.choices)
    note = forms.CharField(label=_("说明"), required=False, max_length=300)


class ResolveForm(forms.Form):
    person_id = forms.IntegerField()

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.epi import rules
from fangkong.risk_areas.choices import MemberKind, RiskAreaStatus
from fangkong.risk_areas.models import RiskArea


def hour_choices() -> list[tuple[int, str]]:
    from django.utils.translation import gettext

    return [(h, gettext("%(hour)d时") % {"hour": h}) for h in range(24)]


def ruleset_choices() -> list[tuple[str, str]]:
    return [(rs.id, rs.short_name) for rs in rules.load_rulesets()]


def level_choices_all() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for rs in rules.load_rulesets():
        for code, name in rules.level_choices(rs):
            seen.setdefault(code, name)
    return list(seen.items())


class Styled(forms.Form):
    """Tabler classes on every visible widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            w = field.widget
            if w.is_hidden or isinstance(w, forms.CheckboxSelectMultiple):
                continue
            w.attrs.setdefault("class", "form-select" if isinstance(w, forms.Select) else "form-control")


class EffectiveAtMixin(Styled):
    """An effective time to the hour (生效时间：日期 + 整点)."""

    effective_date = forms.DateField(label=_("生效日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    effective_hour = forms.TypedChoiceField(label=_("生效时刻"), choices=hour_choices, coerce=int, initial=20)

    def effective_at(self) -> dt.datetime:
        d = self.cleaned_data["effective_date"]
        return dt.datetime(d.year, d.month, d.day, self.cleaned_data["effective_hour"],
                           tzinfo=timezone.get_current_timezone())


class OutlineWidget(forms.Textarea):
    """A drawing tool on the local ECharts map (static/risk_areas/outline.js: click to add a vertex, undo,
    clear) over a textarea of "lng,lat" lines, where GeoJSON can be pasted too (no inline script)."""

    template_name = "risk_areas/widgets/outline.html"

    def __init__(self, attrs=None):
        super().__init__({"rows": 4, "class": "form-control fk-mono", "data-outline-input": "1", **(attrs or {})})

    def get_context(self, name, value, attrs):
        from django.templatetags.static import static

        context = super().get_context(name, value, attrs)
        context["geo_url"] = static("risk_areas/geo/shangluo_demo.json")
        return context

    def format_value(self, value):
        if isinstance(value, dict):
            from fangkong.risk_areas.rules import outline_lines

            return outline_lines(value)
        return super().format_value(value)


def outline_field(required: bool = False) -> forms.CharField:
    return forms.CharField(
        label=_("轮廓"), required=required, widget=OutlineWidget(), max_length=200_000,
        help_text=_("在地图上依次点击各个拐点（可撤销、清除），或粘贴 GeoJSON 多边形或“经度,纬度”坐标（每行一个）。"
                    "只用于文字边界；坐标须在商洛市范围内。"))


class CheckboxList(forms.CheckboxSelectMultiple):
    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        option["attrs"]["class"] = "form-check-input me-1"
        return option


class RiskAreaChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        from fangkong.risk_areas.selectors import risk_area_display_name, ruleset_of

        level = obj.level or obj.proposed_level
        try:
            level = rules.level_name(ruleset_of(obj), level)
        except (LookupError, ValueError):
            pass
        return f"{obj.county.name if obj.county else ''} {risk_area_display_name(obj)}（{level}，{obj.get_status_display()}）"


class MemberForm(Styled):
    kind = forms.ChoiceField(label=_("类型"), choices=MemberKind.choices, initial=MemberKind.NODE)
    area_code = forms.CharField(label=_("区域代码"), max_length=40,
                                help_text=_("小区、楼栋、单元、自然组或社区的代码（辖区页面可查）"))
    floor = forms.IntegerField(label=_("楼层"), required=False)
    room = forms.CharField(label=_("房号"), max_length=20, required=False)
    boundary_text = forms.CharField(label=_("四至边界"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                    help_text=_("例如：东至优贝幼儿园西墙、西至吴家巷口西50米"))
    outline = outline_field()
    excluded = RiskAreaChoiceField(
        label=_("除外的风险区域"), required=False, queryset=RiskArea.objects.none(),
        widget=CheckboxList(),
        help_text=_("类型为“其他区域（除外）”时：该区域减去这些风险区域（例如“城关街道其他区域”除去街道内的高风险区）。"))

    def __init__(self, *args, excluded_qs=None, **kwargs):
        super().__init__(*args, **kwargs)
        if excluded_qs is not None:
            self.fields["excluded"].queryset = excluded_qs.exclude(status=RiskAreaStatus.LIFTED).select_related(
                "county").order_by("county__code", "area_path", "id")
            if not self.fields["excluded"].queryset.exists():
                del self.fields["excluded"]  # nothing to leave out yet


class RiskAreaCreateForm(MemberForm):
    ruleset_id = forms.ChoiceField(label=_("防控方案"), choices=ruleset_choices)
    level = forms.ChoiceField(label=_("风险等级"), choices=level_choices_all)
    name = forms.CharField(label=_("通告中的名称"), max_length=300, required=False,
                           help_text=_("留空则由组成部分生成，例如“东关木器厂2号楼、6号楼”"))
    measures = forms.CharField(label=_("管控措施"), max_length=200, required=False,
                               help_text=_("留空则采用防控方案的措施"))


class OutlineForm(Styled):
    outline = outline_field()


class RiskAreaEditForm(Styled):
    name = forms.CharField(label=_("通告中的名称"), max_length=300, required=False)
    measures = forms.CharField(label=_("管控措施"), max_length=200, required=False)
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class DesignateForm(EffectiveAtMixin):
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class NoticeCreateForm(EffectiveAtMixin):
    issuer = forms.ModelChoiceField(label=_("发布机关"), queryset=None, empty_label=None)
    change = forms.MultipleChoiceField(label=_("调整"), choices=(), widget=forms.MultipleHiddenInput)

    def __init__(self, *args, issuers, changes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].queryset = issuers
        self.fields["change"].choices = [(c, c) for c in changes]


class NoticeEditForm(EffectiveAtMixin):
    basis = forms.CharField(label=_("依据"), max_length=200)


class RejectForm(Styled):
    reason = forms.CharField(label=_("退回原因"), max_length=300)


class IssuerForm(Styled):
    name = forms.CharField(label=_("发布机关"), max_length=100, initial="商洛市疫情防控应急指挥部")
    area_code = forms.CharField(label=_("辖区代码"), max_length=40)
    title = forms.CharField(label=_("通告标题"), max_length=100, initial="关于调整风险等级的通告")
    next_number = forms.IntegerField(label=_("下一个编号"), min_value=1, initial=1)

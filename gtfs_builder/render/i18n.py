"""Names in every language of the feed, and the few interface words of the pages.

A page writes each translatable text once, in its default language, as
``<span data-t="KEY">text</span>``, and embeds a dictionary ``{lang: {KEY: text}}``; the small
script in ``assets/site.js`` swaps the texts when the reader picks a language. Feed names come from
translations.txt (by record_id or by field_value, both GTFS forms); a missing translation shows the
feed's own name. Interface words exist in English, Russian, Korean and Chinese; other languages
get English ones.
"""

from __future__ import annotations

import html
from functools import cached_property

from gtfs_builder.render.feedview import FeedView

UI: dict[str, dict[str, str]] = {
    "en": {
        "timetables": "Timetables", "map": "Network map", "report": "Validation report",
        "index": "Feed overview", "stop": "Stop", "train": "Train", "zone": "Time zone",
        "daily": "Daily", "mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri",
        "sat": "Sat", "sun": "Sun", "publisher": "Publisher", "direction": "Direction",
        "language": "Language",
        "not_running": "Not running on", "also_running": "Also running on",
        "only_on": "Only on", "valid": "Valid", "version": "Version", "checksum": "SHA-256",
        "routes": "Routes", "agency": "Operator", "border": "Border station",
        "station": "Station", "next_day": "next day", "prev_day": "previous day",
        "no_days": "No days of service", "local_times": "Local time of each stop",
        "times_as_of": "offsets as on", "notices": "notices",
    },
    "ru": {
        "timetables": "Расписания", "map": "Схема сети", "report": "Отчёт о проверке",
        "index": "О фиде", "stop": "Станция", "train": "Поезд", "zone": "Часовой пояс",
        "daily": "Ежедневно", "mon": "Пн", "tue": "Вт", "wed": "Ср", "thu": "Чт", "fri": "Пт",
        "sat": "Сб", "sun": "Вс", "publisher": "Издатель", "direction": "Направление",
        "language": "Язык",
        "not_running": "Не ходит", "also_running": "Дополнительно", "only_on": "Только",
        "valid": "Действует", "version": "Версия", "checksum": "SHA-256",
        "routes": "Маршруты", "agency": "Перевозчик", "border": "Пограничная станция",
        "station": "Станция", "next_day": "следующие сутки", "prev_day": "предыдущие сутки",
        "no_days": "Нет дней движения", "local_times": "Местное время каждой станции",
        "times_as_of": "смещения на", "notices": "замечаний",
    },
    "ko": {
        "timetables": "시간표", "map": "노선도", "report": "검증 보고서", "index": "피드 개요",
        "stop": "역", "train": "열차", "zone": "시간대", "daily": "매일", "mon": "월",
        "tue": "화", "wed": "수", "thu": "목", "fri": "금", "sat": "토", "sun": "일",
        "publisher": "발행자", "direction": "방향", "language": "언어", "not_running": "운행 안 함",
        "also_running": "추가 운행", "only_on": "운행일", "valid": "유효 기간",
        "version": "버전", "checksum": "SHA-256", "routes": "노선", "agency": "운영사",
        "border": "국경역", "station": "역", "next_day": "다음 날", "prev_day": "전날",
        "no_days": "운행일 없음", "local_times": "각 역의 현지 시각",
        "times_as_of": "기준일", "notices": "건",
    },
    "zh": {
        "timetables": "时刻表", "map": "线路图", "report": "验证报告", "index": "数据概览",
        "stop": "车站", "train": "车次", "zone": "时区", "daily": "每日", "mon": "周一",
        "tue": "周二", "wed": "周三", "thu": "周四", "fri": "周五", "sat": "周六", "sun": "周日",
        "publisher": "发布者", "direction": "方向", "language": "语言", "not_running": "停运日期",
        "also_running": "加开日期", "only_on": "仅于", "valid": "有效期", "version": "版本",
        "checksum": "SHA-256", "routes": "线路", "agency": "运营商", "border": "口岸站",
        "station": "车站", "next_day": "次日", "prev_day": "前一日",
        "no_days": "无运行日", "local_times": "各站当地时间", "times_as_of": "时差按",
        "notices": "条",
    },
}
LANG_NAMES = {"en": "English", "ru": "Русский", "ko": "한국어", "zh": "中文", "fr": "Français",
              "de": "Deutsch", "es": "Español", "ja": "日本語"}
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def ui_lang(lang: str) -> str:
    """The interface language for a feed language ('zh-Hans' → 'zh', unknown → 'en')."""
    base = lang.split("-")[0].lower()
    return base if base in UI else "en"


def ui(key: str, lang: str) -> str:
    return UI[ui_lang(lang)][key]


class Texts:
    """Collects the translatable texts of one page and writes them as spans + a dictionary."""

    def __init__(self, view: FeedView) -> None:
        self.view = view
        self.default = view.lang or "en"
        self.langs = _languages(view)
        self._by_id, self._by_value = _translations(view)
        self.entries: dict[str, dict[str, str]] = {}

    def feed(self, table: str, fld: str, record_id: str, value: str, sub_id: str = "") -> str:
        """A feed name: a ``<span data-t>`` showing ``value``, translated where translations.txt
        has it (record_id form first, then field_value form)."""
        return self._span(self.feed_key(table, fld, record_id, value, sub_id), value)

    def feed_key(self, table: str, fld: str, record_id: str, value: str, sub_id: str = "") -> str:
        """Register a feed name and return its key (for elements that are not spans: SVG)."""
        key = f"{table}.{fld}:{record_id}:{sub_id}" if record_id else f"{table}.{fld}=:{value}"
        if key not in self.entries:
            per = self._every_translation(table, fld, record_id, value, sub_id)
            if not per and table == "trips" and fld == "trip_headsign":
                per = self._headsign_as_stop(value)
            self.entries[key] = per
        return key

    def _translation(
        self, table: str, fld: str, lang: str, record_id: str, value: str, sub_id: str = ""
    ) -> str:
        """translations.txt's text for a name in ``lang`` ('' when none): the record_id form
        first, then the field_value form."""
        by_id = self._by_id.get((table, fld, lang, record_id, sub_id)) if record_id else None
        return by_id or self._by_value.get((table, fld, lang, value), "")

    def _every_translation(
        self, table: str, fld: str, record_id: str, value: str, sub_id: str = ""
    ) -> dict[str, str]:
        """language → translation, for the page's languages that have one."""
        found = {
            lang: self._translation(table, fld, lang, record_id, value, sub_id)
            for lang in self.langs
        }
        return {lang: text for lang, text in found.items() if text}

    @cached_property
    def _stop_by_name(self) -> dict[str, str]:
        """stop_name → the first stop_id with that name."""
        out: dict[str, str] = {}
        ids = self.view.col("stops.txt", "stop_id")
        for name, stop_id in zip(self.view.col("stops.txt", "stop_name"), ids, strict=True):
            out.setdefault(name, stop_id)
        return out

    def _headsign_as_stop(self, value: str) -> dict[str, str]:
        """A headsign that is a stop's name takes that stop's translations (feeds translate
        stops far more often than headsigns: 'Туманган' → 'Tumangang')."""
        stop_id = self._stop_by_name.get(value)
        return self._every_translation("stops", "stop_name", stop_id, "") if stop_id else {}

    def plain(self, table: str, fld: str, record_id: str, value: str, lang: str) -> str:
        """The name in one language, without markup (for titles and width estimates)."""
        return self._translation(table, fld, lang, record_id, value) or value

    def variants(self, table: str, fld: str, record_id: str, value: str) -> list[str]:
        return [self.plain(table, fld, record_id, value, lang) for lang in self.langs]

    def ui(self, key: str) -> str:
        """An interface word, in every language the page offers."""
        k = f"ui:{key}"
        if k not in self.entries:
            self.entries[k] = {lang: ui(key, lang) for lang in self.langs}
        return self._span(k, ui(key, self.default))

    def composed(self, key: str, per_lang: dict[str, str]) -> str:
        """A text made of interface words (e.g. 'Mon, Wed, Fri'), given in every language."""
        k = f"c:{key}"
        self.entries[k] = {lang: per_lang[ui_lang(lang)] for lang in self.langs}
        return self._span(k, per_lang[ui_lang(self.default)])

    def _span(self, key: str, text: str) -> str:
        return f'<span data-t="{html.escape(key)}">{html.escape(text)}</span>'

    def dictionary(self) -> dict[str, object]:
        """What the page embeds: languages offered and, per language, its texts."""
        per_lang: dict[str, dict[str, str]] = {lang: {} for lang in self.langs}
        for key in sorted(self.entries):
            for lang, text in self.entries[key].items():
                per_lang[lang][key] = text
        return {
            "default": self.default,
            "langs": [[lang, LANG_NAMES.get(lang.split("-")[0], lang)] for lang in self.langs],
            "texts": per_lang,
        }


def _languages(view: FeedView) -> list[str]:
    """The feed's own language first, then every language translations.txt offers."""
    found = sorted({v.lower() for v in view.col("translations.txt", "language")} - {""})
    first = view.lang or "en"
    return [first] + [lang for lang in found if lang != first]


def _translations(
    view: FeedView,
) -> tuple[dict[tuple[str, str, str, str, str], str], dict[tuple[str, str, str, str], str]]:
    """translations.txt as two lookups: (table, field, language, record_id, record_sub_id) →
    text, and (table, field, language, field_value) → text; table without ``.txt``."""
    by_id: dict[tuple[str, str, str, str, str], str] = {}
    by_value: dict[tuple[str, str, str, str], str] = {}
    names = ("table_name", "field_name", "language", "translation", "record_id", "record_sub_id",
             "field_value")
    cols = [view.col("translations.txt", n) for n in names]
    for table, fld, lang, text, rid, sub, value in zip(*cols, strict=True):
        table_key = table.removesuffix(".txt")
        if rid:
            by_id[(table_key, fld, lang.lower(), rid, sub)] = text
        elif value:
            by_value[(table_key, fld, lang.lower(), value)] = text
    return by_id, by_value

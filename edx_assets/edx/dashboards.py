"""Self-contained HTML course dashboards: one page per course, a comparison of the courses and a portfolio
page, from the week's report files, with every chart drawn at build time as inline SVG (Vega-Altair, rendered by
vl-convert) and made interactive by the page's own inline script (Vega-Embed from vl-convert's bundle: tooltips
on every mark, mode and cohort selectors, legends that highlight, zoom on dates): the pages open from disk with
no network, and with scripts off show the pictures. Each chart's data is also a table (screen readers,
keyboards), and a bar of the portfolio or the comparison opens its course's page. Only aggregates appear (no
name, username or e-mail), and none of 1 to EDX_MIN_CELL-1 learners: such a bar, point or figure is not drawn,
and the page says how many were left out.
"""

from __future__ import annotations

import html
import json
import os
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import altair as alt
import polars as pl
import vl_convert as vlc

from edx_assets.edx.layout import parse_course_id
from edx_assets.edx.reports import catalog, roles, small_cells
from edx_assets.edx.reports.locations import UNKNOWN as UNKNOWN_PLACE

LOCALES = {"es": "es-ES", "en": "en-US"}
TEXT = {
    "es": {
        "portfolio": "Portafolio de cursos", "course": "Curso", "data_date": "Datos al", "no_data": "Sin datos aún",
        "registered": "Inscritos", "viewed": "Vieron contenido", "explored": "Exploraron", "certified": "Certificados",
        "at_risk": "En riesgo", "active_week": "Activos la última semana", "pass_mark": "Nota de aprobación",
        "enrollment": ("Inscripciones acumuladas por modalidad",
                       "Inscripciones creadas hasta cada día, por modalidad (audit, verified...), sin el equipo del curso."),
        "weekly_active": ("Estudiantes activos por semana",
                          "Estudiantes con al menos un día con eventos en la semana (domingo a sábado)."),
        "funnel": ("Embudo: inscritos → vieron → exploraron → certificados",
                   "Vieron: algún registro de courseware; exploraron: la mitad de los capítulos; certificados: "
                   "certificado descargable."),
        "grades": ("Distribución de notas frente a la nota de aprobación",
                   "Estudiantes por nota del curso (la nota persistente de edX, o la del certificado; intervalos de "
                   "0,1); la línea marca la nota de aprobación."),
        "video_completion": ("Finalización de videos",
                             "Proporción de quienes reprodujeron el video que vieron al menos el 95 % o llegaron "
                             "a los últimos 30 s."),
        "dropoff": ("Abandono en el video más visto",
                    "Estudiantes distintos que vieron cada tramo de 5 s del video con más espectadores."),
        "hardest": ("Problemas más difíciles",
                    "Proporción de estudiantes que acertaron al primer intento (los 10 más bajos)."),
        "countries": ("Estudiantes por país", "Inscritos por país de la IP de registro (los 10 primeros)."),
        "outline": ("A lo largo del temario: quiénes llegan a cada sección",
                    "Estudiantes con algún evento en cada capítulo y lección, en el orden del curso "
                    "(section_engagement); la marca, quienes además tienen nota en todos sus problemas calificados."),
        "hardest_items": ("Ítems más difíciles",
                          "Proporción de estudiantes que tienen bien cada respuesta calificada (course_item, "
                          "dificultad; los 10 más bajos)."),
        "least_discriminating": ("Ítems que menos discriminan",
                                 "Correlación punto-biserial de cada ítem con la nota del resto del curso "
                                 "(course_item; los 10 más bajos: revisar los cercanos a 0 o negativos)."),
        "section": "Sección", "item": "Ítem", "difficulty": "Proporción correcta",
        "discrimination": "Discriminación",
        "share": "Proporción", "learners": "Estudiantes", "date": "Fecha", "week": "Semana", "mode": "Modalidad", "all": "Todas",
        "grade": "Nota", "seconds": "Segundo del video", "country": "País", "video": "Video", "problem": "Problema",
        "stage": "Etapa", "unknown": "desconocido", "no_ip": "sin IP",
        "all_hidden": "Oculto: cada valor describe menos de {k} estudiantes",
        "hidden": "Para proteger la privacidad no se muestra ninguna cifra de entre 1 y {k1} estudiantes "
                  "(EDX_MIN_CELL = {k}); en esta página se omitieron {n}.",
        "retention": ("Retención por cohorte de inscripción",
                      "Proporción de quienes se inscribieron en la semana elegida (la cohorte) que tuvo actividad k "
                      "semanas después, por modalidad (retention_by_cohort)."),
        "cohort": "Cohorte (semana de inscripción) ", "weeks_after": "Semanas desde la inscripción",
        "compare": "Comparación de cursos", "run": "Edición", "show_data": "Ver los datos del gráfico",
        "c_funnel": ("Embudo de cada curso", "Proporción de los inscritos de cada curso que vieron contenido, "
                     "exploraron la mitad de los capítulos y obtuvieron certificado (sin el equipo del curso). "
                     "Pulse una etapa de la leyenda para resaltarla; una barra abre la página del curso."),
        "c_video": ("Finalización de videos por curso",
                    "Mediana, entre los videos del curso, de la proporción de espectadores que los terminaron "
                    "(video_engagement; solo videos con al menos {k} espectadores)."),
        "c_active": ("Estudiantes activos por semana, por curso",
                     "Estudiantes con al menos un día con eventos en la semana; pulse un curso de la leyenda para "
                     "resaltarlo."),
        "c_runs": ("Ediciones del mismo curso lado a lado",
                   "Para cada curso con más de una edición: la proporción de inscritos que vieron contenido, "
                   "exploraron y se certificaron, en cada edición."),
        "nav": "Páginas", "to_compare": "Comparación de cursos", "to_portfolio": "Portafolio de cursos",
        "p_registered": ("Inscritos por curso", "Inscripciones de estudiantes (sin el equipo del curso)."),
        "p_certified": ("Proporción certificada por curso", "Certificados / inscritos."),
        "p_at_risk": ("Estudiantes en riesgo por curso",
                      "Inactivos 7 días o más tras haber participado, o bajo la nota de aprobación pasada la "
                      "mitad del curso."),
    },
    "en": {
        "portfolio": "Course portfolio", "course": "Course", "data_date": "Data as of", "no_data": "No data yet",
        "registered": "Registered", "viewed": "Viewed", "explored": "Explored", "certified": "Certified",
        "at_risk": "At risk", "active_week": "Active last week", "pass_mark": "Pass mark",
        "enrollment": ("Cumulative enrollments by mode",
                       "Enrollments created up to each day, by mode (audit, verified...), course team left out."),
        "weekly_active": ("Weekly active learners", "Learners with at least one active day in the week (Sunday to Saturday)."),
        "funnel": ("Funnel: registered → viewed → explored → certified",
                   "Viewed: any courseware record; explored: half the chapters; certified: downloadable certificate."),
        "grades": ("Grade distribution against the pass mark",
                   "Learners by course grade (edX's persistent grade, else the certificate's; 0.1 bins); the line "
                   "marks the pass mark."),
        "video_completion": ("Video completion",
                             "Share of viewers who watched at least 95% or reached the last 30 s."),
        "dropoff": ("Drop-off in the most watched video",
                    "Distinct learners who watched each 5-second segment of the video with most viewers."),
        "hardest": ("Hardest problems", "Share of learners right on the first attempt (the 10 lowest)."),
        "countries": ("Learners by country", "Registered learners by registration-IP country (top 10)."),
        "outline": ("Along the outline: who reaches each section",
                    "Learners with any event in each chapter and lesson, in course order (section_engagement); "
                    "the tick, those who also have a score on every graded problem of it."),
        "hardest_items": ("Hardest items", "Share of learners with each graded response right (course_item "
                                           "difficulty; the 10 lowest)."),
        "least_discriminating": ("Least discriminating items",
                                 "Point-biserial correlation of each item with the score on the rest of the course "
                                 "(course_item; the 10 lowest: review those near 0 or below)."),
        "section": "Section", "item": "Item", "difficulty": "Share right", "discrimination": "Discrimination",
        "share": "Share", "learners": "Learners", "date": "Date", "week": "Week", "mode": "Mode", "all": "All", "grade": "Grade",
        "seconds": "Second of the video", "country": "Country", "video": "Video", "problem": "Problem",
        "stage": "Stage", "unknown": "unknown", "no_ip": "no IP",
        "all_hidden": "Hidden: every value describes fewer than {k} learners",
        "hidden": "To protect privacy no figure of 1 to {k1} learners is shown (EDX_MIN_CELL = {k}); {n} were "
                  "left out on this page.",
        "retention": ("Retention by enrollment cohort",
                      "Share of the learners who enrolled in the chosen week (the cohort) active k weeks later, by "
                      "mode (retention_by_cohort)."),
        "cohort": "Cohort (enrollment week) ", "weeks_after": "Weeks since enrolling",
        "compare": "Course comparison", "run": "Run", "show_data": "Show the chart's data",
        "c_funnel": ("Each course's funnel", "Share of each course's registered learners who viewed content, "
                     "explored half the chapters and earned a certificate (course team left out). Click a stage "
                     "in the legend to highlight it; a bar opens the course's page."),
        "c_video": ("Video completion by course",
                    "Median, over the course's videos, of the share of viewers who finished each (video_engagement; "
                    "only videos with at least {k} viewers)."),
        "c_active": ("Weekly active learners by course",
                     "Learners with at least one active day in the week; click a course in the legend to highlight "
                     "it."),
        "c_runs": ("Runs of the same course side by side",
                   "For each course with more than one run: the share of registered learners who viewed, explored "
                   "and were certified, in each run."),
        "nav": "Pages", "to_compare": "Course comparison", "to_portfolio": "Course portfolio",
        "p_registered": ("Registered learners by course", "Learner enrollments (course team left out)."),
        "p_certified": ("Certified share by course", "Certified / registered."),
        "p_at_risk": ("At-risk learners by course",
                      "Inactive 7+ days after taking part, or below the pass mark past the course's midpoint."),
    },
}
WIDTH = 420
LABEL_LIMIT = 320  # px: a course's name and run, whole
COMPARE = "compare.html"
VL_CONVERT_BASE = "https://vega.github.io/vega-datasets/"


@dataclass
class Page:
    path: Path
    charts: int
    empty: int
    headline: dict = field(default_factory=dict)
    drawn: dict[str, pl.DataFrame] = field(default_factory=dict)  # each chart's data, as drawn
    hidden: int = 0  # figures left out for describing 1 to k-1 learners
    hidden_in: dict[str, int] = field(default_factory=dict)  # the same, per chart
    course: str | None = None  # the course of a course's page


def _read(folder: Path, name: str) -> pl.DataFrame:
    path = folder / f"{name}.csv"
    return pl.read_csv(path, infer_schema_length=10_000) if path.is_file() else pl.DataFrame()


def _number(value: float | int | None, lang: str, share: bool = False) -> str:
    """A figure in the page's language: `1.234` / `45,6 %` in Spanish, `1,234` / `45.6%` in English."""
    if value is None:
        return "—"
    text = f"{value * 100:,.1f}" if share else f"{int(value):,}"
    if lang == "es":
        text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return text + ((" %" if lang == "es" else "%") if share else "")


def _small(value: float | int | None, k: int) -> bool:
    return value is not None and 0 < value < k


class Renderer:
    def __init__(self, lang: str, data_date: str, min_cell: int = small_cells.DEFAULT_MIN_CELL) -> None:
        self.lang, self.data_date, self.t, self.k = lang, data_date, TEXT[lang], min_cell
        self.hidden = 0
        self.drawn: dict[str, pl.DataFrame] = {}
        self.hidden_in: dict[str, int] = {}  # per chart

    def keep(self, key: str, frame: pl.DataFrame, *counts: str) -> pl.DataFrame:
        """`frame` without the rows whose learner counts (`counts`) are 1 to k-1 or were suppressed (empty
        and named in `suppressed`), counting those as left out; rows with an unknown count are not drawn
        either, but are not counted as hidden. Remembered as the chart `key`'s data."""
        present = [c for c in counts if c in frame.columns]
        if not frame.height or not present:
            self.drawn[key] = frame
            return frame
        small = pl.any_horizontal([small_cells.small(c, self.k) for c in present])
        if small_cells.MARK in frame.columns:
            marks = pl.col(small_cells.MARK).fill_null("").str.split(";")
            small = small | pl.any_horizontal([marks.list.contains(c) for c in present])
        flagged = frame.with_columns(small.alias("__small"))
        self.hidden_in[key] = int(flagged.get_column("__small").sum())
        self.hidden += self.hidden_in[key]
        known = pl.all_horizontal([pl.col(c).cast(pl.Float64, strict=False).is_not_null() for c in present])
        kept = flagged.filter(~pl.col("__small") & known).drop("__small")
        self.drawn[key] = kept
        return kept

    def start(self) -> None:
        """A new page: nothing left out, nothing drawn yet."""
        self.hidden, self.drawn, self.hidden_in = 0, {}, {}

    def tile(self, value: float | int | None) -> str:
        return f"&lt; {self.k}" if _small(value, self.k) else _number(value, self.lang)

    def figure(self, key: str, chart: alt.Chart | None) -> tuple[str, bool]:
        """A chart block: title, the SVG (or a no-data note), the data drawn as a table (for screen readers and
        keyboards, and for reading the exact figures), the definition and the data date."""
        title, definition = self.t[key]
        definition = definition.replace("{k}", str(self.k))
        table = ""
        if chart is None and self.hidden_in.get(key):  # there was data, every value of it too small to show
            note = self.t["all_hidden"].format(k=self.k)
            body, drawn = f'<p class="empty all-hidden">{html.escape(note)}</p>', False
        elif chart is None:
            body, drawn = f'<p class="empty">{html.escape(self.t["no_data"])}</p>', False
        else:
            # (the description is the SVG's accessible name, with scripts on or off)
            spec = chart.properties(width=WIDTH, height=220, description=f"{title}. {definition}").to_dict()
            svg = vlc.vegalite_to_svg(json.dumps(spec, indent=2, sort_keys=True, ensure_ascii=False),  # (as text:
                                      format_locale=LOCALES[self.lang],  # a dict's floats are drawn otherwise)
                                      time_format_locale=LOCALES[self.lang])
            # (vl-convert resolves a mark's relative link against its own data site: it stays relative here)
            svg = svg.replace(f'xlink:href="{VL_CONVERT_BASE}', 'xlink:href="')
            # The picture drawn now (what shows with scripts off), and the spec the page's script makes
            # interactive in its place: a tooltip on every mark, the chart's selectors and zoom.
            # (the spec built and validated once: altair's to_dict is the slow part of a chart)
            config = spec.get("config", {})
            interactive = {**spec, "config": {**config, "mark": {**config.get("mark", {}),
                                                                 "tooltip": {"content": "encoding"}}}}
            text = json.dumps(interactive, sort_keys=True, ensure_ascii=False)  # as altair's to_json writes it
            body = (f'<div class="view">{svg}</div>'
                    f'<script type="application/json" class="spec">{_script_safe(text)}</script>')
            table = self.data_table(spec)
            drawn = True
        caption = f'{html.escape(definition)} · {html.escape(self.t["data_date"])} {self.data_date}'
        rows = self.drawn[key].height if key in self.drawn else -1  # -1: not a kept table (nothing left out)
        return (f'<figure class="chart" data-chart="{key}" data-rows="{rows}" aria-labelledby="h-{key}">'
                f'<h2 id="h-{key}">{html.escape(title)}</h2>{body}{table}'
                f"<figcaption>{caption}</figcaption></figure>"), drawn

    def data_table(self, spec: dict) -> str:
        """The first layer's data, as drawn, in a table whose columns are the chart's encoded fields (titled as
        the axes and legends are), inside a closed `<details>`."""
        main = spec["layer"][0] if "layer" in spec else spec
        rows = spec.get("datasets", {}).get(main.get("data", spec.get("data", {})).get("name"), [])
        columns = [(enc["field"], enc.get("title") or enc["field"]) for channel, enc in main["encoding"].items()
                   if channel not in {"href", "tooltip", "opacity"} and isinstance(enc, dict) and "field" in enc]
        columns = list(dict.fromkeys(columns))
        head = "".join(f'<th scope="col">{html.escape(str(title))}</th>' for _, title in columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(self.cell(row.get(f)))}</td>" for f, _ in columns)
                       + "</tr>" for row in rows)
        return (f'<details class="data"><summary>{html.escape(self.t["show_data"])}</summary>'
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></details>")

    def cell(self, value: object) -> str:
        if isinstance(value, bool) or value is None:
            return "" if value is None else str(value)
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 1):
            return _number(value, self.lang)
        if isinstance(value, float):
            text = f"{value:.3f}"
            return text.replace(".", ",") if self.lang == "es" else text
        return str(value).strip()

    def page(self, title: str, tiles: list[tuple[str, str]], figures: list[str], nav: str = "") -> str:
        kpis = "".join(f'<div class="kpi"><span>{html.escape(label)}</span><strong>{value}</strong></div>'
                       for label, value in tiles)
        if self.k > 1:
            note = self.t["hidden"].format(k=self.k, k1=self.k - 1, n=self.hidden)
            figures = [*figures, f'<p class="suppressed" data-hidden="{self.hidden}">{html.escape(note)}</p>']
        return (f'<!doctype html><html lang="{self.lang}"><head><meta charset="utf-8">'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
                f"<header><h1>{html.escape(title)}</h1><p>{html.escape(self.t['data_date'])} {self.data_date}</p>"
                f"{nav}</header><main>"
                f'<section class="kpis" aria-label="{html.escape(title)}">{kpis}</section>'
                f'<div class="charts">{"".join(figures)}</div></main>'
                f"{interactive_script(self.lang)}</body></html>")

    def nav(self, links: list[tuple[str, str]]) -> str:
        """Links between the pages of the whole portfolio (not on a course's page: it also travels alone, in
        the course's bundle)."""
        items = "".join(f'<li><a href="{html.escape(href)}">{html.escape(label)}</a></li>' for label, href in links)
        return f'<nav aria-label="{html.escape(self.t["nav"])}"><ul class="nav">{items}</ul></nav>'


CSS = ("body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}"
       "header h1{margin:0 0 4px}header p{margin:0 0 16px;color:#595959}"
       ".kpis{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:16px}"
       ".kpi{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 16px;min-width:140px}"
       ".kpi span{display:block;color:#595959;font-size:13px}.kpi strong{font-size:24px}"
       ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:16px}"
       "figure{background:#fff;border:1px solid #ddd;border-radius:6px;margin:0;padding:12px}"
       "figure h2{margin:0 0 8px;font-size:16px}figcaption{color:#595959;font-size:12px;margin-top:6px}"
       ".empty{color:#595959;font-style:italic}a{color:#1f5fa8}"
       "details.data{font-size:12px;margin-top:6px}details.data table{border-collapse:collapse;margin-top:4px}"
       "details.data th,details.data td{border:1px solid #ddd;padding:2px 6px;text-align:left}"
       ".nav{display:flex;gap:16px;list-style:none;padding:0;margin:0 0 16px}"
       ":focus-visible{outline:3px solid #1f5fa8;outline-offset:2px}"
       ".vega-bind{margin-top:6px}.vega-bind select{font-size:14px;padding:2px 4px}")


def _script_safe(text: str) -> str:
    """JSON inside a <script> element: `</` would end the element early."""
    return text.replace("</", "<\\/")


@cache
def _bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed in one script (vl-convert's bundle: nothing fetched, offline)."""
    return vlc.javascript_bundle()


def interactive_script(lang: str) -> str:
    """The page's scripts: the bundle, inline, then each chart's spec embedded in place of its picture (SVG
    renderer, the page's number and date format); a chart that fails keeps its picture and logs the error."""
    options = {"renderer": "svg", "actions": False, "formatLocale": vlc.get_format_locale(LOCALES[lang]),
               "timeFormatLocale": vlc.get_time_format_locale(LOCALES[lang])}
    init = ("document.querySelectorAll('figure.chart').forEach(function (figure) {"
            "var spec = figure.querySelector('script.spec'); if (!spec) { return; }"
            f"vegaEmbed(figure.querySelector('.view'), JSON.parse(spec.textContent), {json.dumps(options)})"
            ".then(function () { figure.dataset.interactive = '1'; }).catch(console.error); });")
    return f"<script>{_bundle()}</script><script>{init}</script>"


def slug(course_id: str) -> str:
    """An ASCII file name for the course (`course-v1:IDBx+Niñez1x+1T2026` -> `idbx_ninez1x_1t2026`)."""
    plain = unicodedata.normalize("NFKD", course_id.split(":", 1)[-1]).encode("ascii", "ignore").decode()
    return "".join(ch if ch.isalnum() else "_" for ch in plain).lower()


def _by_mode(modes: pl.DataFrame, t: dict) -> alt.Chart:
    """Cumulative enrollments by mode over time: a mode selector (all by default) and zoom on the dates."""
    names = sorted(modes.get_column("value").unique().to_list())
    pick = alt.param(name="pick_mode", value=None, bind=alt.binding_select(
        options=[None, *names], labels=[t["all"], *names], name=f"{t['mode']} "))
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    return (alt.Chart(modes.with_columns(pl.col("date").cast(pl.String))).mark_line().encode(
        x=alt.X("date:T", title=t["date"]), y=alt.Y("cumulative_enrollments:Q", title=t["learners"]),
        color=alt.Color("value:N", title=t["mode"]))
        .add_params(pick, zoom).transform_filter("pick_mode == null || datum.value == pick_mode"))


def _bars(frame: pl.DataFrame, x: str, y: str, x_title: str, y_title: str, share: bool = False,
          sort: str | None = None) -> alt.Chart:
    axis = alt.Axis(format=".0%") if share else alt.Axis(format=",d")
    return alt.Chart(frame).mark_bar(color="#1f5fa8").encode(
        x=alt.X(f"{x}:Q", title=x_title, axis=axis), y=alt.Y(f"{y}:N", title=y_title, sort=sort or "-x",
                                                             axis=alt.Axis(labelLimit=LABEL_LIMIT)))


@dataclass
class Inputs:
    """The week's report files, read once for every page."""

    folder: Path
    reports_root: Path
    min_cell: int = small_cells.DEFAULT_MIN_CELL
    include_team: bool = False  # EDX_REPORTS_INCLUDE_COURSE_TEAM

    def __post_init__(self) -> None:
        names = ["general_report", "person_course", "enrollment_by_demographics_daily", "video_engagement",
                 "video_segments", "problem_analysis", "geography", "at_risk_learners", "section_engagement",
                 "course_item", "retention_by_cohort"]
        self.tables = {n: _read(self.folder, n) for n in names}
        for name in names:  # the aggregates as they leave the platform
            if name in small_cells.RULES and name not in small_cells.AT_SOURCE and self.tables[name].height:
                self.tables[name] = small_cells.suppress(self.tables[name], name, self.min_cell)
        weeks = sorted(self.reports_root.glob("*/parquet/engagement_segments.parquet"))
        segments = pl.concat([pl.read_parquet(p, columns=["course_id", "week", "days_active"]) for p in weeks],
                             how="vertical_relaxed") if weeks else pl.DataFrame()
        # A week none of whose days had its events loaded (no daily report) is unknown, not a week of 0 active
        # learners: it is not drawn.
        loaded = {date.fromisoformat(p.parent.name) for p in self.reports_root.glob("daily/*/activity_daily.csv")}
        known = [w for w in segments.get_column("week").unique().to_list()
                 if any(w - timedelta(days=d) in loaded for d in range(1, 8))] if segments.height else []
        # Per course and known week: the learners with at least one active day (the headline, the course's
        # weekly chart and the comparison all read this).
        self.active = segments.filter(pl.col("week").is_in(known)).group_by("course_id", "week").agg(
            (pl.col("days_active") > 0).sum().alias("active")).sort("course_id", "week") if segments.height else \
            pl.DataFrame(schema={"course_id": pl.String, "week": pl.Date, "active": pl.UInt32})

    def of(self, name: str, course_id: str) -> pl.DataFrame:
        table = self.tables[name]
        return table.filter(pl.col(catalog.course_column(name)) == course_id) if table.height else table


def _total(frame: pl.DataFrame, column: str) -> int | None:
    """The sum of a 0/1 column, or None (unknown) when no row has a value: a CSV column empty in every row
    (e.g. `explored` for courses without chapters) is read as text, and is not a count of 0."""
    if not frame.height:
        return 0
    if column not in frame.columns:
        return None
    values = frame.get_column(column).cast(pl.Float64, strict=False)
    return None if values.is_null().all() else int(values.fill_null(0).sum())


def headline(inputs: Inputs, course_id: str) -> dict:
    """The course's headline figures (learners only, unless EDX_REPORTS_INCLUDE_COURSE_TEAM): registered,
    viewed, explored, certified, at risk, active in the last week; None where the reports say nothing."""
    people = inputs.of("person_course", course_id)
    people = roles.counted(people, inputs.include_team) if people.height else people
    active = inputs.active.filter(pl.col("course_id") == course_id)
    return {
        "registered": people.height,
        "viewed": _total(people, "viewed"),
        "explored": _total(people, "explored"),
        "certified": _total(people, "certified"),
        "at_risk": inputs.of("at_risk_learners", course_id).height,
        "active_week": int(active["active"][-1]) if active.height else 0,  # (its last week: sorted by week)
    }


def course_page(r: Renderer, inputs: Inputs, course_id: str, name: str, target: Path) -> Page:
    t = r.t
    r.start()
    figures: list[tuple[str, bool]] = []
    modes = inputs.of("enrollment_by_demographics_daily", course_id)
    modes = modes.filter(pl.col("dimension") == "mode") if modes.height else modes
    modes = r.keep("enrollment", modes, "cumulative_enrollments")
    figures.append(r.figure("enrollment", _by_mode(modes, t) if modes.height else None))
    weekly = r.keep("weekly_active", inputs.active.filter(pl.col("course_id") == course_id).drop("course_id"),
                    "active")
    figures.append(r.figure("weekly_active", alt.Chart(weekly.with_columns(pl.col("week").cast(pl.String))).mark_bar(
        color="#1f5fa8").encode(x=alt.X("week:O", title=t["week"]), y=alt.Y("active:Q", title=t["learners"]))
        if weekly.height else None))
    head = headline(inputs, course_id)
    funnel = pl.DataFrame({"stage": [t[k] for k in ("registered", "viewed", "explored", "certified")],
                           "learners": [head[k] for k in ("registered", "viewed", "explored", "certified")]})
    funnel = r.keep("funnel", funnel, "learners")
    figures.append(r.figure("funnel", _bars(funnel, "learners", "stage", t["learners"], t["stage"],
                                            sort=list(funnel["stage"])) if funnel.height else None))
    people = inputs.of("person_course", course_id)
    if people.height:  # (a grade column empty in every row is read as text)
        people = roles.counted(people, inputs.include_team)
        grades = people.with_columns(pl.col("grade").cast(pl.Float64, strict=False)).filter(pl.col("grade").is_not_null())
    else:
        grades = people
    general = inputs.of("general_report", course_id)
    mark = general["passing_grade"][0] if general.height and general["passing_grade"][0] is not None else None
    grade_chart = None
    if grades.height:  # binned here (0.1 wide, 1.0 in the last bin) so that a bin of 1 to k-1 learners is left out
        grades = grades.group_by((pl.col("grade").cast(pl.Float64) * 10).floor().clip(0, 9).alias("bin")).agg(
            pl.len().alias("learners")).with_columns((pl.col("bin") / 10).alias("grade_from"),
                                                      ((pl.col("bin") + 1) / 10).alias("grade_to")).sort("bin")
    grades = r.keep("grades", grades, "learners")
    if grades.height:
        bars = alt.Chart(grades).mark_bar(color="#1f5fa8").encode(
            x=alt.X("grade_from:Q", bin="binned", title=t["grade"], scale=alt.Scale(domain=[0, 1])),
            x2="grade_to:Q", y=alt.Y("learners:Q", title=t["learners"]))
        grade_chart = bars if mark is None else bars + alt.Chart(pl.DataFrame({"mark": [float(mark)]})).mark_rule(
            color="#c0392b", strokeWidth=2).encode(x="mark:Q")
    figures.append(r.figure("grades", grade_chart))
    videos = inputs.of("video_engagement", course_id)
    videos = r.keep("video_completion", videos, "viewers", "completers")
    videos = videos.filter(pl.col("completion_share").is_not_null()) if videos.height else videos
    r.drawn["video_completion"] = videos
    figures.append(r.figure("video_completion", _bars(videos.with_columns(
        pl.coalesce("video_name", "video_id").alias("video")), "completion_share", "video", t["share"], t["video"],
        share=True) if videos.height else None))
    segments = inputs.of("video_segments", course_id)
    segments = segments.filter(pl.col("viewers").is_not_null()) if segments.height else segments
    if segments.height:
        top = segments.group_by("video_id").agg(pl.col("viewers").max()).sort(["viewers", "video_id"],
                                                                                 descending=[True, False])["video_id"][0]
        segments = segments.filter(pl.col("video_id") == top)
    segments = r.keep("dropoff", segments, "viewers")
    figures.append(r.figure("dropoff", alt.Chart(segments).mark_area(color="#1f5fa8", opacity=0.7).encode(
        x=alt.X("start_seconds:Q", title=t["seconds"]), y=alt.Y("viewers:Q", title=t["learners"]))
        if segments.height else None))
    problems = r.keep("hardest", inputs.of("problem_analysis", course_id), "learners_attempted")
    problems = problems.filter(pl.col("share_correct_first_attempt").is_not_null()).sort(
        ["share_correct_first_attempt", "problem_id"]).head(10) if problems.height else problems
    r.drawn["hardest"] = problems  # (a problem nobody attempted first has no share: not drawn)
    figures.append(r.figure("hardest", _bars(problems.with_columns(
        pl.coalesce("problem_name", "problem_id").alias("problem")), "share_correct_first_attempt", "problem",
        t["share"], t["problem"], share=True, sort="x") if problems.height else None))
    countries = r.keep("countries", inputs.of("geography", course_id), "registered")
    countries = countries.sort(["registered", "country_code"], descending=[True, False]).head(10) \
        if countries.height else countries
    place = pl.col("country_code").replace(UNKNOWN_PLACE, t["unknown"]).fill_null(t["no_ip"])
    countries = countries.with_columns(place) if countries.height else countries
    figures.append(r.figure("countries", _bars(countries, "registered", "country_code", t["learners"], t["country"])
                            if countries.height else None))
    figures += [retention_figure(r, inputs, course_id), outline_figure(r, inputs, course_id),
                *item_figures(r, inputs, course_id)]
    tiles = [(t[k], r.tile(head[k])) for k in ("registered", "viewed", "certified", "active_week", "at_risk")]
    r.hidden += sum(_small(head[k], r.k) for k in ("registered", "viewed", "certified", "active_week", "at_risk"))
    return _write(target, r.page(f"{t['course']}: {name}", tiles, [f for f, _ in figures]), figures, head, r)


def retention_figure(r: Renderer, inputs: Inputs, course_id: str) -> tuple[str, bool]:
    """The share of a cohort (the learners who enrolled in a week) active each week after, one line per mode;
    a selector picks the cohort (first the one with the most points drawn). Weeks whose activity is unknown (no
    events file loaded) are not drawn."""
    t = r.t
    cohorts = r.keep("retention", inputs.of("retention_by_cohort", course_id), "learners", "active_learners")
    if cohorts.height:
        cohorts = cohorts.with_columns(pl.col("share_active").cast(pl.Float64, strict=False),
                                       pl.col("cohort_week").cast(pl.String)).filter(
            pl.col("share_active").is_not_null()).sort("cohort_week", "mode", "week_number")
        r.drawn["retention"] = cohorts
    if not cohorts.height:
        return r.figure("retention", None)
    weeks = sorted(cohorts.get_column("cohort_week").unique().to_list())
    sizes = cohorts.group_by("cohort_week").agg(pl.len().alias("n")).sort(["n", "cohort_week"], descending=[True, False])
    pick = alt.param(name="pick_cohort", value=sizes["cohort_week"][0],  # the cohort with the longest lines
                     bind=alt.binding_select(options=weeks, name=t["cohort"]))
    return r.figure("retention", alt.Chart(cohorts).mark_line(point=True).encode(
        x=alt.X("week_number:O", title=t["weeks_after"], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share_active:Q", title=t["share"], axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("mode:N", title=t["mode"]), detail=alt.Detail("cohort_week:N", title=t["cohort"].strip()))
        .add_params(pick).transform_filter(
        "datum.cohort_week == pick_cohort"))


def outline_figure(r: Renderer, inputs: Inputs, course_id: str) -> tuple[str, bool]:
    """Learners reached per chapter and sequential in course order (sequentials indented under their chapter),
    with a tick at those who completed its graded problems (where the section has any)."""
    t = r.t
    sections = r.keep("outline", inputs.of("section_engagement", course_id), "learners_reached")
    if not sections.height:
        return r.figure("outline", None)
    if small_cells.MARK in sections.columns:  # completions of 1 to k-1 learners: emptied, and counted as left out
        emptied = int(sections.get_column(small_cells.MARK).fill_null("").str.contains("learners_completed").sum())
        r.hidden += emptied
        r.hidden_in["outline"] = r.hidden_in.get("outline", 0) + emptied
    sections = sections.sort("index").with_columns(
        pl.when(pl.col("level") == "chapter").then(pl.col("chapter_name"))
        .otherwise(pl.lit("\u2003") + pl.col("sequential_name").cast(pl.String)).fill_null(pl.col("module_id"))
        .alias("section"),
        pl.col("learners_completed").cast(pl.Float64, strict=False))
    order = sections.get_column("section").to_list()
    bars = alt.Chart(sections).mark_bar(color="#1f5fa8").encode(
        x=alt.X("learners_reached:Q", title=t["learners"], axis=alt.Axis(format=",d")),
        y=alt.Y("section:N", title=t["section"], sort=order))
    ticks = alt.Chart(sections.filter(pl.col("learners_completed").is_not_null())).mark_tick(
        color="#c0392b", thickness=3).encode(x="learners_completed:Q", y=alt.Y("section:N", sort=order))
    return r.figure("outline", bars + ticks)


def item_figures(r: Renderer, inputs: Inputs, course_id: str) -> list[tuple[str, bool]]:
    """The course's 10 hardest items (lowest difficulty) and 10 least discriminating ones, from course_item
    as it leaves the platform (an item fewer than EDX_MIN_CELL learners have is left out)."""
    t = r.t
    out = []
    for key, column, domain in (("hardest_items", "difficulty", [0, 1]), ("least_discriminating", "discrimination",
                                                                         [-1, 1])):
        items = r.keep(key, inputs.of("course_item", course_id), "learners")
        if items.height:
            items = items.with_columns(pl.col(column).cast(pl.Float64, strict=False)).filter(
                pl.col(column).is_not_null()).sort([column, "index", "item_id"]).head(10).with_columns(
                pl.format("{}. {} · {}", "index", pl.coalesce("problem_name", "problem_id"),
                          pl.col("item_id").str.extract(r"_(\d+_\d+)$", 1).fill_null(pl.col("item_id"))
                          ).alias("item"))
            r.drawn[key] = items
        chart = alt.Chart(items).mark_bar(color="#1f5fa8").encode(
            x=alt.X(f"{column}:Q", title=t[column], scale=alt.Scale(domain=domain),
                    axis=alt.Axis(format=".0%" if column == "difficulty" else ".2f")),
            y=alt.Y("item:N", title=t["item"], sort="x")) if items.height else None
        out.append(r.figure(key, chart))
    return out


def course_labels(courses: list[tuple[str, str]]) -> dict[str, str]:
    """Each course's label on the pages that show several: its name, and its run when another course (a run
    of the same course) has the same name."""
    names = [name for _, name in courses]
    return {cid: f"{name} ({_run(cid)})" if names.count(name) > 1 else name for cid, name in courses}


def _run(course_id: str) -> str:
    parsed = parse_course_id(course_id)
    return parsed.run if parsed else course_id


def portfolio_page(r: Renderer, heads: dict[str, dict], courses: list[tuple[str, str]], target: Path,
                   links: dict[str, str]) -> Page:
    """The courses' headline figures (from their pages) side by side, with links (a bar opens its course)."""
    t = r.t
    r.start()
    labels = course_labels(courses)
    table = pl.DataFrame({
        "course": [labels[cid] for cid, _ in courses],
        "link": [links[cid] for cid, _ in courses],
        "registered": [heads[cid]["registered"] for cid, _ in courses],
        "certified": [heads[cid]["certified"] for cid, _ in courses],
        "certified_share": [heads[cid]["certified"] / heads[cid]["registered"]
                            if heads[cid]["registered"] and heads[cid]["certified"] is not None else None
                            for cid, _ in courses],
        "at_risk": [heads[cid]["at_risk"] for cid, _ in courses]}, schema_overrides={"certified_share": pl.Float64})

    def bars(key: str, column: str, *counts: str, share: bool = False) -> tuple[str, bool]:
        kept = r.keep(key, table, *counts)
        return r.figure(key, _bars(kept, column, "course", t["share"] if share else t["learners"], t["course"],
                                   share=share).encode(href="link:N") if kept.height else None)

    figures = [bars("p_registered", "registered", "registered"),
               bars("p_certified", "certified_share", "registered", "certified", share=True),
               bars("p_at_risk", "at_risk", "at_risk")]
    total = {k: sum(h[k] for h in heads.values() if h[k] is not None)
             for k in ("registered", "certified", "at_risk", "active_week")}
    tiles = [(t[k], r.tile(total[k])) for k in ("registered", "certified", "active_week", "at_risk")]
    r.hidden += sum(_small(total[k], r.k) for k in total) + sum(_small(h["registered"], r.k) for h in heads.values())
    rows = "".join(f'<li><a href="{html.escape(links[cid])}">{html.escape(labels[cid])}</a> — '
                   f'{r.tile(heads[cid]["registered"])} {html.escape(t["registered"].lower())}</li>'
                   for cid, _ in courses)
    listing = f'<ul class="courses">{rows}</ul>'
    text = r.page(t["portfolio"], tiles, [listing, *(f for f, _ in figures)],
                  nav=r.nav([(t["to_compare"], COMPARE)]))
    return _write(target, text, figures, total, r)


def compare_page(r: Renderer, inputs: Inputs, heads: dict[str, dict], courses: list[tuple[str, str]],
                 target: Path, links: dict[str, str]) -> Page:
    """Every course on the same axes: each one's funnel as shares of its registered learners, its typical
    video completion, its weekly active learners; and the runs of a course side by side."""
    t = r.t
    r.start()
    labels = course_labels(courses)
    stages = ("viewed", "explored", "certified")
    funnel = pl.DataFrame([
        {"course": labels[cid], "link": links[cid], "run": _run(cid), "number": _number_of(cid), "stage": t[stage],
         "learners": heads[cid][stage], "registered": heads[cid]["registered"]}
        for cid, _ in courses for stage in stages if heads[cid][stage] is not None],
        schema={"course": pl.String, "link": pl.String, "run": pl.String, "number": pl.String, "stage": pl.String,
                "learners": pl.Int64, "registered": pl.Int64})
    funnel = funnel.filter(pl.col("registered") > 0).with_columns((pl.col("learners") / pl.col("registered"))
                                                                   .alias("share"))
    runs = funnel.filter(pl.col("number").is_in(
        funnel.group_by("number").agg(pl.col("run").n_unique().alias("n")).filter(pl.col("n") > 1)["number"]))
    funnel = r.keep("c_funnel", funnel, "learners", "registered")
    order = [t[s] for s in stages]
    figures = [r.figure("c_funnel", _grouped(funnel, "course", "stage", order, t["course"], t["stage"], t)
                        .encode(href="link:N") if funnel.height else None)]
    videos = r.keep("c_video", inputs.tables["video_engagement"], "viewers", "completers")
    if videos.height:
        videos = videos.filter(pl.col("completion_share").is_not_null()).group_by("course_id").agg(
            pl.col("completion_share").cast(pl.Float64).median().alias("median_completion"),
            pl.len().alias("videos"))
        videos = videos.join(pl.DataFrame({"course_id": list(labels), "course": list(labels.values())}),
                             on="course_id").sort("course")
        r.drawn["c_video"] = videos
    figures.append(r.figure("c_video", _bars(videos, "median_completion", "course", t["share"], t["course"],
                                             share=True) if videos.height else None))
    weekly = inputs.active.filter(pl.col("course_id").is_in(list(labels))).with_columns(
        pl.col("course_id").replace_strict(labels, return_dtype=pl.String).alias("course"),
        pl.col("week").cast(pl.String)).sort("course", "week")
    weekly = r.keep("c_active", weekly, "active")
    highlight = alt.selection_point(fields=["course"], bind="legend")
    figures.append(r.figure("c_active", alt.Chart(weekly).mark_line(point=True).encode(
        x=alt.X("week:T", title=t["week"]), y=alt.Y("active:Q", title=t["learners"]),
        color=alt.Color("course:N", title=t["course"], legend=alt.Legend(orient="bottom", columns=1,
                                                                           labelLimit=LABEL_LIMIT)),
        opacity=alt.condition(highlight, alt.value(1), alt.value(0.2))).add_params(
        highlight, alt.selection_interval(bind="scales", encodings=["x"])) if weekly.height else None))
    runs = r.keep("c_runs", runs.with_columns(pl.format("{} · {}", "number", "stage").alias("course_stage")),
                  "learners", "registered")
    figures.append(r.figure("c_runs", _grouped(runs, "course_stage", "run", None, t["course"], t["run"], t)
                            .encode(href="link:N") if runs.height else None))
    return _write(target, r.page(t["compare"], [], [f for f, _ in figures],
                                 nav=r.nav([(t["to_portfolio"], "index.html")])), figures, {}, r)


def _number_of(course_id: str) -> str:
    parsed = parse_course_id(course_id)
    return f"{parsed.org}/{parsed.number}" if parsed else course_id


def _grouped(frame: pl.DataFrame, y: str, group: str, order: list[str] | None, y_title: str, group_title: str,
             t: dict) -> alt.Chart:
    """Shares as bars, one row per `y` with a bar per `group` beside each other; a click on the legend
    highlights a group."""
    pick = alt.selection_point(fields=[group], bind="legend")
    return alt.Chart(frame).mark_bar().encode(
        x=alt.X("share:Q", title=t["share"], axis=alt.Axis(format=".0%"), scale=alt.Scale(domain=[0, 1])),
        y=alt.Y(f"{y}:N", title=y_title, axis=alt.Axis(labelLimit=LABEL_LIMIT)),
        yOffset=alt.YOffset(f"{group}:N", sort=order),
        color=alt.Color(f"{group}:N", title=group_title, sort=order, legend=alt.Legend(orient="bottom")),
        opacity=alt.condition(pick, alt.value(1), alt.value(0.25))).add_params(pick)


def _write(target: Path, text: str, figures: list[tuple[str, bool]], head: dict, r: Renderer) -> Page:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)
    return Page(target, charts=sum(drawn for _, drawn in figures), empty=sum(not d for _, d in figures), headline=head,
                drawn=dict(r.drawn), hidden=r.hidden, hidden_in=dict(r.hidden_in))


def build(folder: Path, reports_root: Path, lang: str, data_date: str,
          min_cell: int = small_cells.DEFAULT_MIN_CELL, include_team: bool = False) -> list[Page]:
    """Every course's page (`dashboards/<course>.html`), the comparison (`dashboards/compare.html`) and the
    portfolio (`dashboards/index.html`, last); no figure of 1 to `min_cell`-1 learners is drawn."""
    inputs = Inputs(folder, reports_root, min_cell, include_team)
    r = Renderer(lang, data_date, min_cell)
    general = inputs.tables["general_report"]
    courses = [(row["id"], row["name"] or row["id"]) for row in general.sort("id").iter_rows(named=True)] \
        if general.height else []
    out = folder / "dashboards"
    links = {cid: f"{slug(cid)}.html" for cid, _ in courses}
    pages = [replace(course_page(r, inputs, cid, name, out / links[cid]), course=cid) for cid, name in courses]
    heads = {cid: page.headline for (cid, _), page in zip(courses, pages, strict=True)}
    pages.append(compare_page(r, inputs, heads, courses, out / COMPARE, links))
    pages.append(portfolio_page(r, heads, courses, out / "index.html", links))
    return pages

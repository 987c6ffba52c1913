"""Self-contained HTML course dashboards: one page per course and a portfolio page, from the week's report
files, with every chart drawn at build time as inline SVG (Vega-Altair, rendered by vl-convert) and made
interactive by the page's own inline script (Vega-Embed from vl-convert's bundle: tooltips on every mark, a
mode selector and zoom on the enrollment chart): the pages open from disk with no network, and with scripts
off show the pictures. Only aggregates appear (no name, username or e-mail), and
none of 1 to EDX_MIN_CELL-1 learners: such a bar, point or figure is not drawn, and the page says how many
were left out.
"""

from __future__ import annotations

import html
import json
import os
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import altair as alt
import polars as pl
import vl_convert as vlc

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
        "p_registered": ("Registered learners by course", "Learner enrollments (course team left out)."),
        "p_certified": ("Certified share by course", "Certified / registered."),
        "p_at_risk": ("At-risk learners by course",
                      "Inactive 7+ days after taking part, or below the pass mark past the course's midpoint."),
    },
}
WIDTH = 420


@dataclass
class Page:
    path: Path
    charts: int
    empty: int
    headline: dict = field(default_factory=dict)
    drawn: dict[str, pl.DataFrame] = field(default_factory=dict)  # each chart's data, as drawn
    hidden: int = 0  # figures left out for describing 1 to k-1 learners
    hidden_in: dict[str, int] = field(default_factory=dict)  # the same, per chart


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
        """A chart block: title, the SVG (or a no-data note), the definition and the data date."""
        title, definition = self.t[key]
        if chart is None and self.hidden_in.get(key):  # there was data, every value of it too small to show
            note = self.t["all_hidden"].format(k=self.k)
            body, drawn = f'<p class="empty all-hidden">{html.escape(note)}</p>', False
        elif chart is None:
            body, drawn = f'<p class="empty">{html.escape(self.t["no_data"])}</p>', False
        else:
            sized = chart.properties(width=WIDTH, height=220)
            svg = vlc.vegalite_to_svg(sized.to_json(), format_locale=LOCALES[self.lang],
                                      time_format_locale=LOCALES[self.lang])
            # The picture drawn now (what shows with scripts off), and the spec the page's script makes
            # interactive in its place: a tooltip on every mark, the chart's selectors and zoom.
            spec = sized.configure_mark(tooltip={"content": "encoding"}).to_json(indent=None)
            body = (f'<div class="view">{svg}</div>'
                    f'<script type="application/json" class="spec">{_script_safe(spec)}</script>')
            drawn = True
        caption = f'{html.escape(definition)} · {html.escape(self.t["data_date"])} {self.data_date}'
        rows = self.drawn[key].height if key in self.drawn else -1  # -1: not a kept table (nothing left out)
        return (f'<figure class="chart" data-chart="{key}" data-rows="{rows}"><h3>{html.escape(title)}</h3>{body}'
                f"<figcaption>{caption}</figcaption></figure>"), drawn

    def page(self, title: str, tiles: list[tuple[str, str]], figures: list[str]) -> str:
        kpis = "".join(f'<div class="kpi"><span>{html.escape(label)}</span><strong>{value}</strong></div>'
                       for label, value in tiles)
        if self.k > 1:
            note = self.t["hidden"].format(k=self.k, k1=self.k - 1, n=self.hidden)
            figures = [*figures, f'<p class="suppressed" data-hidden="{self.hidden}">{html.escape(note)}</p>']
        return (f'<!doctype html><html lang="{self.lang}"><head><meta charset="utf-8">'
                f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
                f"<header><h1>{html.escape(title)}</h1><p>{html.escape(self.t['data_date'])} {self.data_date}</p></header>"
                f'<section class="kpis">{kpis}</section><main>{"".join(figures)}</main>'
                f"{interactive_script(self.lang)}</body></html>")


CSS = ("body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}"
       "header h1{margin:0 0 4px}header p{margin:0 0 16px;color:#666}"
       ".kpis{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:16px}"
       ".kpi{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 16px;min-width:140px}"
       ".kpi span{display:block;color:#666;font-size:13px}.kpi strong{font-size:24px}"
       "main{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:16px}"
       "figure{background:#fff;border:1px solid #ddd;border-radius:6px;margin:0;padding:12px}"
       "figure h3{margin:0 0 8px;font-size:16px}figcaption{color:#666;font-size:12px;margin-top:6px}"
       ".empty{color:#999;font-style:italic}a{color:#1f5fa8}")


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
        x=alt.X(f"{x}:Q", title=x_title, axis=axis), y=alt.Y(f"{y}:N", title=y_title, sort=sort or "-x"))


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
                 "course_item"]
        self.tables = {n: _read(self.folder, n) for n in names}
        for name in names:  # the aggregates as they leave the platform
            if name in small_cells.RULES and name not in small_cells.AT_SOURCE and self.tables[name].height:
                self.tables[name] = small_cells.suppress(self.tables[name], name, self.min_cell)
        weeks = sorted(self.reports_root.glob("*/parquet/engagement_segments.parquet"))
        self.segments = pl.concat([pl.read_parquet(p, columns=["course_id", "week", "days_active"]) for p in weeks],
                                  how="vertical_relaxed") if weeks else pl.DataFrame()

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
    active = inputs.segments.filter(pl.col("course_id") == course_id) if inputs.segments.height else inputs.segments
    last = active.filter(pl.col("week") == active["week"].max()) if active.height else active
    return {
        "registered": people.height,
        "viewed": _total(people, "viewed"),
        "explored": _total(people, "explored"),
        "certified": _total(people, "certified"),
        "at_risk": inputs.of("at_risk_learners", course_id).height,
        "active_week": int((last["days_active"] > 0).sum()) if last.height else 0,
    }


def course_page(r: Renderer, inputs: Inputs, course_id: str, name: str, target: Path) -> Page:
    t = r.t
    r.start()
    figures: list[tuple[str, bool]] = []
    modes = inputs.of("enrollment_by_demographics_daily", course_id)
    modes = modes.filter(pl.col("dimension") == "mode") if modes.height else modes
    modes = r.keep("enrollment", modes, "cumulative_enrollments")
    figures.append(r.figure("enrollment", _by_mode(modes, t) if modes.height else None))
    weekly = inputs.segments.filter(pl.col("course_id") == course_id) if inputs.segments.height else inputs.segments
    weekly = weekly.group_by("week").agg((pl.col("days_active") > 0).sum().alias("active")).sort("week") \
        if weekly.height else weekly
    weekly = r.keep("weekly_active", weekly, "active")
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
    figures += [outline_figure(r, inputs, course_id), *item_figures(r, inputs, course_id)]
    tiles = [(t[k], r.tile(head[k])) for k in ("registered", "viewed", "certified", "active_week", "at_risk")]
    r.hidden += sum(_small(head[k], r.k) for k in ("registered", "viewed", "certified", "active_week", "at_risk"))
    return _write(target, r.page(f"{t['course']}: {name}", tiles, [f for f, _ in figures]), figures, head, r)


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


def portfolio_page(r: Renderer, heads: dict[str, dict], courses: list[tuple[str, str]], target: Path,
                   links: dict[str, str]) -> Page:
    """The courses' headline figures (from their pages) side by side, with links."""
    t = r.t
    r.start()
    table = pl.DataFrame({
        "course": [name for _, name in courses],
        "registered": [heads[cid]["registered"] for cid, _ in courses],
        "certified": [heads[cid]["certified"] for cid, _ in courses],
        "certified_share": [heads[cid]["certified"] / heads[cid]["registered"]
                            if heads[cid]["registered"] and heads[cid]["certified"] is not None else None
                            for cid, _ in courses],
        "at_risk": [heads[cid]["at_risk"] for cid, _ in courses]}, schema_overrides={"certified_share": pl.Float64})

    def bars(key: str, column: str, *counts: str, share: bool = False) -> tuple[str, bool]:
        kept = r.keep(key, table, *counts)
        return r.figure(key, _bars(kept, column, "course", t["share"] if share else t["learners"], t["course"],
                                   share=share) if kept.height else None)

    figures = [bars("p_registered", "registered", "registered"),
               bars("p_certified", "certified_share", "registered", "certified", share=True),
               bars("p_at_risk", "at_risk", "at_risk")]
    total = {k: sum(h[k] for h in heads.values() if h[k] is not None)
             for k in ("registered", "certified", "at_risk", "active_week")}
    tiles = [(t[k], r.tile(total[k])) for k in ("registered", "certified", "active_week", "at_risk")]
    r.hidden += sum(_small(total[k], r.k) for k in total) + sum(_small(h["registered"], r.k) for h in heads.values())
    rows = "".join(f'<li><a href="{html.escape(links[cid])}">{html.escape(name)}</a> — '
                   f'{r.tile(heads[cid]["registered"])} {html.escape(t["registered"].lower())}</li>'
                   for cid, name in courses)
    text = r.page(t["portfolio"], tiles, [f for f, _ in figures]).replace("<main>", f"<ul>{rows}</ul><main>", 1)
    return _write(target, text, figures, total, r)


def _write(target: Path, text: str, figures: list[tuple[str, bool]], head: dict, r: Renderer) -> Page:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)
    return Page(target, charts=sum(drawn for _, drawn in figures), empty=sum(not d for _, d in figures), headline=head,
                drawn=dict(r.drawn), hidden=r.hidden, hidden_in=dict(r.hidden_in))


def build(folder: Path, reports_root: Path, lang: str, data_date: str,
          min_cell: int = small_cells.DEFAULT_MIN_CELL, include_team: bool = False) -> list[Page]:
    """Every course's page (`dashboards/<course>.html`) and the portfolio (`dashboards/index.html`); no figure
    of 1 to `min_cell`-1 learners is drawn."""
    inputs = Inputs(folder, reports_root, min_cell, include_team)
    r = Renderer(lang, data_date, min_cell)
    general = inputs.tables["general_report"]
    courses = [(row["id"], row["name"] or row["id"]) for row in general.sort("id").iter_rows(named=True)] \
        if general.height else []
    out = folder / "dashboards"
    links = {cid: f"{slug(cid)}.html" for cid, _ in courses}
    pages = [course_page(r, inputs, cid, name, out / links[cid]) for cid, name in courses]
    heads = {cid: page.headline for (cid, _), page in zip(courses, pages, strict=True)}
    pages.append(portfolio_page(r, heads, courses, out / "index.html", links))
    return pages

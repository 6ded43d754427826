"""The Jinja environment that fills the bill templates.

Autoescaping is on, and ``StrictUndefined`` turns a typo into an error naming the
template file, line and variable instead of an empty cell on a printed bill.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import jinja2

from .errors import TemplateError
from .formatting import jinja_filters, locale_for
from .model import Bill
from .theme import Theme


def make_environment(theme: Theme) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(theme.template_dirs),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(jinja_filters())
    env.globals["static_url"] = theme.static_url
    return env


def template_name(bill: Bill) -> str:
    return f"{bill.language}/{bill.variant}.html"


def render_template(env: jinja2.Environment, bill: Bill, label: str) -> str:
    """Fill the bill's template; any template problem becomes a ``TemplateError``."""
    name = template_name(bill)
    try:
        template = env.get_template(name)
        return template.render(bill=bill, locale=locale_for(bill.language))
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(
            label, exc.name or exc.filename, exc.lineno, exc.message or ""
        ) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(label, str(exc.name), None, "template not found") from None
    except Exception as exc:
        # Jinja rewrites tracebacks so that template frames carry the template's
        # file and line; the innermost such frame is where the designer must look.
        template_file, line = _template_frame(exc.__traceback__, env)
        message = exc.message if isinstance(exc, jinja2.TemplateError) else repr(exc)
        raise TemplateError(label, template_file or name, line, message or str(exc)) from None


def _template_frame(
    tb: TracebackType | None, env: jinja2.Environment
) -> tuple[str | None, int | None]:
    loader = env.loader
    folders = (
        [Path(p) for p in loader.searchpath] if isinstance(loader, jinja2.FileSystemLoader) else []
    )
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        for folder in folders:
            if Path(filename).is_relative_to(folder):
                found = (str(Path(filename).relative_to(folder)), tb.tb_lineno)
        tb = tb.tb_next
    return found

"""The Jinja environment that fills the bill templates.

Templates come from designers and travel to the print run, the preview and the
service, so they run in Jinja's ``ImmutableSandboxedEnvironment``: a template may read
the bill's fields, call the filters and globals below (``t``, ``static_url``,
``payment_qr``, ``stub_barcode``) and Jinja's own, but not reach Python's internals
(``__class__``, ``__globals__``, ...) or change any object it is given; such an access
is a ``TemplateError`` saying that it is unsafe, with the file and line.

A template must also end, and end small: Jinja's ``range`` is limited (100 000),
``*`` and ``**`` may not build huge strings or numbers, the filled HTML may not pass
``limits.MAX_HTML`` characters, filling has a deadline (``limits.DEADLINE``), and a
macro that calls itself without end is stopped; each is a ``TemplateLimitError``
naming the template and the bill.

Autoescaping is on, and ``StrictUndefined`` turns a typo into an error naming the
template file, line and variable instead of an empty cell on a printed bill.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.loaders import split_template_path
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ..bill.model import Bill
from ..errors import TemplateError, TemplateLimitError
from ..limits import DEADLINE, MAX_HTML, Overtime, within
from ..theme import Theme
from .formatting import jinja_filters, locale_for
from .payment import payment_qr, stub_barcode


class RefusedTemplate(jinja2.TemplateError):
    """A template file that resolves outside the theme's folders (a symbolic link)."""

    def __init__(self, name: str, path: str) -> None:
        super().__init__(
            f"refused to load {path!r}: it leads outside the template and static folders"
        )
        self.name = name


class ThemeLoader(jinja2.FileSystemLoader):
    """Jinja's file loader under the rule every engine obeys (``Theme.allowed_file``):
    a template is read only if, resolved, it lies in the theme's folders, so a symbolic
    link in a designer's folder cannot make rendering read the machine's files."""

    def __init__(self, theme: Theme) -> None:
        super().__init__(theme.template_dirs)
        self.theme = theme

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        # Checked before reading: Jinja would follow the link to read the file.
        for folder in self.searchpath:
            candidate = Path(folder, *split_template_path(template))
            if candidate.is_file() or candidate.is_symlink():
                if self.theme.allowed_file(candidate) is None:
                    raise RefusedTemplate(template, str(candidate.resolve()))
                break
        source, filename, uptodate = super().get_source(environment, template)
        if template.endswith(".css"):
            source = without_comments(source)
        return source, filename, uptodate


# A CSS comment, or a string (which may hold "/*" and is kept as it is).
_CSS_COMMENT = re.compile(r"""/\*.*?\*/|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'""", re.S)


def without_comments(css: str) -> str:
    """``css`` without its comments, each replaced by the lines it spanned (so an error
    still names the right line). The stylesheet is inlined into every bill's HTML and
    both engines parse it for every bill, and its comments were a third of its bytes
    (2.2 KB a bill through Playwright's driver; WeasyPrint's time a bill moved by 0.98×,
    within ``bench/plain_loop.py``'s noise)."""
    return _CSS_COMMENT.sub(lambda m: m[0] if m[0][0] in "\"'" else "\n" * m[0].count("\n"), css)


# Elements laid out as blocks (or table parts) by both engines' default styles. The
# white space at their starts and ends is never printed: it begins or ends a line.
BLOCK_LEVEL = frozenset(
    {
        *("html", "head", "body", "meta", "title", "style", "link"),
        *("div", "section", "header", "footer", "main", "article", "aside", "nav", "p", "hr"),
        *("table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "td", "th"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd"),
    }
)
# A gap between two tags made of line breaks and indentation, and a tag's name.
_GAP = re.compile(r"(?<=>)[ \t\r]*\n[ \t\r\n]*(?=<)")
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)")


def compact_markup(text: str) -> str:
    """Template text without the indentation between tags where one of the two is a
    block-level element's: white space that is never printed, but that both engines
    parse, and WeasyPrint lays out (1.4 % of its time a bill, in instructions:
    ``bench/plain_loop.py --instructions``). A single space, and white space between
    two inline tags (``</span> <span>``), are kept: they may be printed."""

    def gap(found: re.Match[str]) -> str:
        start = text.rfind("<", 0, found.start())
        tags = (_TAG.match(text, found.end()), _TAG.match(text, start) if start >= 0 else None)
        names = {tag[1].lower() for tag in tags if tag is not None}
        return "" if names & BLOCK_LEVEL else found[0]

    return _GAP.sub(gap, text)


class CompactMarkup(Extension):
    """``compact_markup`` on the templates' own text as they are compiled, never on
    what they print (a bill's data is as it is)."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        for token in stream:
            if token.type == "data":
                # Jinja numbers lines as it reads the file: later tokens keep theirs.
                token = Token(token.lineno, "data", compact_markup(token.value))
            yield token


class BillEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, with ``*`` and ``**`` refused where they would make a string,
    list or number too large to be anything a bill prints."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
                if sized and len(seq) * times > MAX_HTML:
                    raise SecurityError(f"'*' would make more than {MAX_HTML} items")
        elif isinstance(left, int) and isinstance(right, int) and right > 0:
            bits = max(abs(left).bit_length(), 1) * right
            if bits > 4096:
                raise SecurityError(f"{left} ** {right} is a number too large to print")
        return super().call_binop(context, operator, left, right)


def make_environment(theme: Theme) -> jinja2.Environment:
    """The sandboxed environment of ``theme``'s templates (the only way one is made)."""
    env = BillEnvironment(
        loader=ThemeLoader(theme),
        # Templates are read once per environment; the preview makes a new one when
        # a file changes, so checking every file's time for every bill is not needed.
        auto_reload=False,
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[CompactMarkup],
    )
    env.filters.update(jinja_filters())
    env.globals["static_url"] = theme.static_url
    env.globals["t"] = label_text
    # Codes are drawn from the bill, never from numbers a template formatted.
    env.globals["payment_qr"] = payment_qr
    env.globals["stub_barcode"] = stub_barcode
    return env


@jinja2.pass_context
def label_text(context: Context, key: str, **values: str) -> str:
    """``t("house", number="12")``: the language's label ``key`` with ``values`` filled.

    The language template imports its ``labels`` (``kk/labels.html``); a key it lacks
    is a template error, like any undefined variable.
    """
    labels = context.resolve("labels")
    if isinstance(labels, jinja2.Undefined) or key not in labels:
        raise jinja2.UndefinedError(f"no label {key!r} (in the language's labels.html)")
    text: str = labels[key].format(**values)
    return text


def template_name(bill: Bill) -> str:
    return f"{bill.language}/{bill.variant}.html"


def render_template(
    env: jinja2.Environment,
    bill: Bill,
    ref: str,
    deadline: float | None = DEADLINE,
    max_html: int = MAX_HTML,
) -> str:
    """Fill the bill's template; any template problem becomes a ``TemplateError``, one
    past the bounds (``deadline`` seconds, ``max_html`` characters, recursion) a
    ``TemplateLimitError``."""
    name = template_name(bill)
    stream: Any = None
    try:
        with within(deadline):
            template = env.get_template(name)
            pieces: list[str] = []
            size = 0
            stream = template.generate(bill=bill, locale=locale_for(bill.language))
            for piece in stream:
                pieces.append(piece)
                size += len(piece)
                if size > max_html:
                    where, line = _generating(stream, env)
                    stream.close()
                    raise TemplateLimitError(
                        ref,
                        where or name,
                        line,
                        f"the filled HTML passes {max_html} characters (a bill is about "
                        "50 000): does a loop not end?",
                    )
            return "".join(pieces)
    except TemplateError:
        raise
    except (Overtime, RecursionError, OverflowError) as exc:
        template_file, line = _template_frame(exc.__traceback__, env)
        if isinstance(exc, Overtime):
            # Not rewritten by Jinja (it is no Exception): map the compiled code's line,
            # or say where the output was being made when the deadline passed.
            template_file, line = _template_frame(exc.__traceback__, env, compiled=True)
            if template_file is None and stream is not None:
                template_file, line = _generating(stream, env)
            reason = f"filling took longer than {deadline:g} s: does a loop not end?"
        elif isinstance(exc, RecursionError):
            reason = "a macro calls itself without end"
        else:  # the sandbox's range limit, or a number too large
            reason = str(exc)
        raise TemplateLimitError(ref, template_file or name, line, reason) from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(ref, exc.name or exc.filename, exc.lineno, exc.message or "") from None
    except RefusedTemplate as exc:
        raise TemplateError(ref, exc.name, None, exc.message or "") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(ref, str(exc.name), None, "template not found") from None
    except Exception as exc:
        # Jinja rewrites tracebacks so that template frames carry the template's
        # file and line; the innermost such frame is where the designer must look.
        template_file, line = _template_frame(exc.__traceback__, env)
        message = exc.message if isinstance(exc, jinja2.TemplateError) else repr(exc)
        if isinstance(exc, SecurityError):
            message = f"unsafe: {message} (templates run in a sandbox)"
        raise TemplateError(ref, template_file or name, line, message or str(exc)) from None


def _template_frame(
    tb: TracebackType | None, env: jinja2.Environment, compiled: bool = False
) -> tuple[str | None, int | None]:
    """The innermost template file and line in ``tb``; ``compiled``: a traceback Jinja
    did not rewrite, whose lines are those of the compiled Python code."""
    loader = env.loader
    folders = (
        [Path(p) for p in loader.searchpath] if isinstance(loader, jinja2.FileSystemLoader) else []
    )
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        for folder in folders:
            if Path(filename).is_relative_to(folder):
                relative = Path(filename).relative_to(folder).as_posix()
                line = tb.tb_lineno
                if compiled:
                    line = env.get_template(relative).get_corresponding_lineno(line)
                found = (relative, line)
        tb = tb.tb_next
    return found


def _generating(stream: Any, env: jinja2.Environment) -> tuple[str | None, int | None]:
    """The template file and line a template's output ``stream`` is producing (the
    innermost template of its ``include``s)."""
    frame = getattr(stream, "gi_frame", None)
    while frame is not None:
        # Blocks are ``yield from`` their generator, includes ``for event in gen``.
        inner = stream.gi_yieldfrom or frame.f_locals.get("gen")
        if getattr(inner, "gi_frame", None) is None:
            break
        stream, frame = inner, inner.gi_frame
    if frame is None:
        return None, None
    loader = env.loader
    folders = loader.searchpath if isinstance(loader, jinja2.FileSystemLoader) else []
    for folder in folders:
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(folder):
            relative = path.relative_to(folder).as_posix()
            line = env.get_template(relative).get_corresponding_lineno(frame.f_lineno)
            return relative, line
    return None, None
